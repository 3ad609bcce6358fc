import type { Logger } from '@wattbus/shared';
import type { GpioLine } from './gpio-backend.js';

/** `auto` follows net power; `on` and `off` are a manual override (e.g. from Home Assistant). */
export type RelayMode = 'auto' | 'on' | 'off';

export interface RelayState {
  readonly mode: RelayMode;
  /** The output pin's logical level. */
  readonly on: boolean;
}

/**
 * The reference example's rule: drive the output high while the home exports (net power below zero), low
 * otherwise, unless a manual override holds it. Operations run one at a time, so an override that arrives during
 * a check cannot be undone by it.
 */
export class RelayController {
  private mode: RelayMode = 'auto';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly output: GpioLine,
    private readonly logger: Logger,
    private readonly onChange: (state: RelayState) => void | Promise<void> = () => {},
  ) {}

  get state(): RelayState {
    return { mode: this.mode, on: this.output.value };
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation);
    this.queue = next.catch(() => {});
    return next;
  }

  private async drive(on: boolean, reason: string): Promise<void> {
    const before = this.state;
    if (on !== before.on) {
      await this.output.set(on);
      this.logger.info(
        { pin: this.output.label, on, mode: this.mode, reason },
        `output ${on ? 'high' : 'low'}: ${reason}`,
      );
    }
  }

  private async report(before: RelayState): Promise<void> {
    const after = this.state;
    if (after.on !== before.on || after.mode !== before.mode) await this.onChange(after);
  }

  /** One periodic check. `netPower` is undefined while there is no reading yet; then nothing changes. */
  check(netPower: number | undefined): Promise<void> {
    return this.serial(async () => {
      if (this.mode !== 'auto') return;
      if (netPower === undefined || !Number.isFinite(netPower)) {
        this.logger.debug('no reading yet; the output stays as it is');
        return;
      }
      const before = this.state;
      await this.drive(netPower < 0, netPower < 0 ? `exporting ${-netPower} W` : `importing ${netPower} W`);
      await this.report(before);
    });
  }

  /** Sets the mode; `auto` applies the rule at once when the current net power is known. */
  setMode(mode: RelayMode, netPower: number | undefined, source: string): Promise<void> {
    return this.serial(async () => {
      const before = this.state;
      this.mode = mode;
      if (mode === 'auto') {
        this.logger.info({ source }, 'manual override off: the output follows net power again');
        if (netPower !== undefined && Number.isFinite(netPower))
          await this.drive(netPower < 0, 'automatic again');
      } else {
        await this.drive(mode === 'on', `manual override from ${source}`);
      }
      await this.report(before);
    });
  }
}
