import { type ChildProcess, spawn } from 'node:child_process';
import type { LocalService } from './compose-file.js';
import { formatLogLine } from './log-format.js';

const COLORS = [36, 33, 35, 32, 34, 31, 96, 93, 95, 92];
/** sysexits EX_CONFIG: the service rejected its configuration; restarting would fail the same way. */
const EXIT_CONFIG = 78;

interface Running {
  service: LocalService;
  child: ChildProcess | undefined;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export interface SupervisorEvents {
  /** A process ended on its own (not because we stopped it). */
  onExit?(
    service: LocalService,
    code: number | null,
    signal: NodeJS.Signals | null,
    restarting: boolean,
  ): void;
}

/**
 * Runs the local stack: one child process per compose service, output prefixed with the service name, restart
 * policies applied as compose would (with backoff), and an ordered shutdown that stops the broker last so every
 * service's `offline` state reaches it.
 */
export class LocalSupervisor {
  private readonly running = new Map<string, Running>();
  private readonly width: number;
  private stopping = false;

  constructor(
    private readonly services: LocalService[],
    private readonly cwd: string,
    private readonly events: SupervisorEvents = {},
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    private readonly color = process.stdout.isTTY === true,
  ) {
    this.width = Math.max(...services.map((service) => service.name.length));
  }

  start(service: LocalService): void {
    const entry: Running = this.running.get(service.name) ?? {
      service,
      child: undefined,
      restarts: 0,
      startedAt: 0,
      stopped: false,
    };
    this.running.set(service.name, entry);
    const [command, ...args] = service.command;
    const executable = command === 'node' ? process.execPath : command!;
    // Own process group: a Ctrl-C in the terminal reaches only this launcher, which then stops services in order.
    const child = spawn(executable, args, {
      cwd: this.cwd,
      env: { ...process.env, ...service.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    entry.child = child;
    entry.startedAt = Date.now();
    this.pipe(service.name, child.stdout!);
    this.pipe(service.name, child.stderr!);
    child.once('error', (error) => this.line(service.name, `failed to start: ${error.message}`));
    child.once('exit', (code, signal) => this.onExit(entry, code, signal));
  }

  private onExit(entry: Running, code: number | null, signal: NodeJS.Signals | null): void {
    entry.child = undefined;
    if (this.stopping || entry.stopped) return;
    const policy = entry.service.restart;
    const failed = code !== 0;
    const restart =
      code !== EXIT_CONFIG &&
      (policy === 'always' || policy === 'unless-stopped' || (policy === 'on-failure' && failed));
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const note =
      code === EXIT_CONFIG
        ? '(configuration error; fix config.toml and run npm start again)'
        : restart
          ? ''
          : `(not restarted: its restart policy is ${policy})`;
    this.line(
      entry.service.name,
      `${failed ? 'process died' : 'process ended'}: ${how} ${note}`.trim(),
      true,
    );
    this.events.onExit?.(entry.service, code, signal, restart);
    if (!restart) return;
    // Compose-like backoff: quick first retry, doubling to 30 s; a process that ran a minute starts fresh.
    if (Date.now() - entry.startedAt > 60_000) entry.restarts = 0;
    const delay = Math.min(30_000, 500 * 2 ** entry.restarts++);
    this.line(entry.service.name, `restarting in ${(delay / 1000).toFixed(1)} s`, true);
    entry.timer = setTimeout(() => this.start(entry.service), delay);
  }

  isRunning(name: string): boolean {
    return this.running.get(name)?.child !== undefined;
  }

  /** Stops everything: dependents first, then what they depend on, each with SIGTERM and a deadline. */
  async stopAll(order: LocalService[], graceMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const entry of this.running.values()) clearTimeout(entry.timer);
    const reversed = [...order].reverse();
    const dependedOn = new Set(order.flatMap((service) => service.dependsOn));
    const leaves = reversed.filter((service) => !dependedOn.has(service.name));
    const roots = reversed.filter((service) => dependedOn.has(service.name));
    await Promise.all(leaves.map((service) => this.stopOne(service.name, graceMs)));
    for (const service of roots) await this.stopOne(service.name, graceMs);
  }

  private async stopOne(name: string, graceMs: number): Promise<void> {
    const entry = this.running.get(name);
    const child = entry?.child;
    if (!entry || !child) return;
    entry.stopped = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.line(name, `did not stop within ${graceMs / 1000} s; killing it`, true);
        child.kill('SIGKILL');
      }, graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Last resort when the launcher itself exits: no child may outlive it. */
  killAll(): void {
    for (const entry of this.running.values()) entry.child?.kill('SIGKILL');
  }

  private pipe(name: string, stream: NodeJS.ReadableStream): void {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        this.line(name, formatLogLine(buffer.slice(0, newline)));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
  }

  line(name: string, text: string, highlight = false): void {
    const index = this.services.findIndex((service) => service.name === name);
    const color = COLORS[Math.max(index, 0) % COLORS.length];
    const label = name.padEnd(this.width);
    if (!this.color) {
      this.write(`${label} | ${text}\n`);
      return;
    }
    this.write(`\u001b[${color}m${label} |\u001b[0m ${highlight ? `\u001b[1m${text}\u001b[0m` : text}\n`);
  }
}
