import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { GpioBackend, GpioLine, LineRequest } from './gpio-backend.js';

/** What the simulation file holds per line offset. */
export interface SimulatedLineState {
  direction: 'input' | 'output';
  value: boolean;
  /** True once the plugin released the line (after its cleanup). */
  released: boolean;
  label: string;
}

/**
 * GPIO without hardware, for development machines and tests. With a `stateFile`, every change is written there as
 * JSON (`{"17": {"direction": "output", "value": true, ...}}`), so a person or a test can watch the relay, and
 * input lines read their value from it, so a test can drive an input.
 */
export class SimulatedGpio implements GpioBackend {
  readonly description: string;
  private readonly state = new Map<number, SimulatedLineState>();

  constructor(private readonly stateFile?: string) {
    this.description = stateFile ? `simulated GPIO (state in ${stateFile})` : 'simulated GPIO';
  }

  private save(): void {
    if (!this.stateFile) return;
    const temporary = `${this.stateFile}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(this.state), null, 2)}\n`);
    renameSync(temporary, this.stateFile);
  }

  /** An input's value as the state file sets it (false when the file or the line is absent). */
  private inputValue(line: number): boolean {
    if (!this.stateFile) return false;
    try {
      const saved = JSON.parse(readFileSync(this.stateFile, 'utf8')) as Record<
        string,
        Partial<SimulatedLineState>
      >;
      return saved[String(line)]?.value === true;
    } catch {
      return false;
    }
  }

  async request(request: LineRequest): Promise<GpioLine> {
    const existing = this.state.get(request.line);
    if (existing && !existing.released)
      throw new Error(`${request.label} is already in use (${existing.label})`);
    const entry: SimulatedLineState = {
      direction: request.direction,
      value: request.direction === 'output' ? request.initial === true : this.inputValue(request.line),
      released: false,
      label: request.label,
    };
    this.state.set(request.line, entry);
    this.save();
    const save = () => this.save();
    const readInput = () => this.inputValue(request.line);
    return {
      label: request.label,
      get value() {
        return entry.value;
      },
      async set(value: boolean) {
        if (entry.released) throw new Error(`${request.label} was released`);
        if (entry.direction !== 'output') throw new Error(`${request.label} is an input`);
        entry.value = value;
        save();
      },
      async read() {
        if (entry.direction === 'input') entry.value = readInput();
        return entry.value;
      },
      async release() {
        if (entry.released) return;
        Object.assign(entry, { direction: 'input', value: false, released: true });
        save();
      },
    };
  }
}
