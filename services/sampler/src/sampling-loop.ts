import type { Logger } from '@wattbus/shared';
import { AdcFault } from './adc/adc-bus.js';
import type { BatchLayout } from './adc/mcp3008.js';
import { type CalculationMode, calculatePower } from './calculate/calculate-power.js';
import type { BatchFigures, CalculationSettings } from './calculate/types.js';
import { FLAT_VOLTAGE_COUNTS } from './calculate/voltage-wave.js';
import type { RawBatch } from './raw-batch.js';
import type { BatchSource } from './sources/batch-source.js';
import { sleep } from './sources/timing.js';

export interface FaultReport {
  kind: AdcFault['kind'];
  message: string;
  source: string;
  /** Failed attempts in a row, 1 for the first. */
  attempt: number;
  retryInSeconds: number;
  /** True when this is a new fault (the first, or a different kind than the one before). */
  changed: boolean;
}

export interface RecoveryReport {
  kind: AdcFault['kind'];
  source: string;
  attempts: number;
  downtimeSeconds: number;
}

export interface SamplingLoopOptions {
  source: BatchSource;
  layout: BatchLayout;
  calculation: CalculationSettings;
  mode: CalculationMode;
  /** Seconds before the first retry after a fault; doubles per failed attempt up to `maxDelay`. */
  retry: { initialDelay: number; maxDelay: number };
  logger: Logger;
  onBatch(batch: RawBatch, figures: BatchFigures): void | Promise<void>;
  onFault?(report: FaultReport): void;
  onRecovered?(report: RecoveryReport): void;
  /** The source has nothing more to give (a replay played to its end without looping). */
  onEnded?(message: string): void;
}

/**
 * Reads, checks and computes batches for as long as it runs. ADC trouble (the device cannot be opened, a
 * transfer fails, the voltage input reads flat) is reported and retried with exponential backoff; the loop never
 * gives up and never spins. A bug in a batch consumer is logged and does not stop sampling.
 */
export class SamplingLoop {
  private readonly abort = new AbortController();
  private done: Promise<void> | undefined;
  private open = false;
  batches = 0;

  constructor(private readonly options: SamplingLoopOptions) {}

  start(): void {
    this.done ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    await this.closeSource();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async closeSource(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      await this.options.source.close();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'error while closing the ADC source');
    }
  }

  private async run(): Promise<void> {
    const { source, logger, retry } = this.options;
    let fault: { kind: AdcFault['kind']; since: number; attempts: number } | undefined;
    let delay = retry.initialDelay;
    while (!this.stopped) {
      let batch: RawBatch;
      let figures: BatchFigures;
      try {
        if (!this.open) {
          await source.open();
          this.open = true;
        }
        batch = await source.read(this.options.layout);
        if (this.stopped) break;
        figures = calculatePower(batch, this.options.calculation, this.options.mode);
        if (figures.voltageSpan < FLAT_VOLTAGE_COUNTS) {
          throw new AdcFault(
            'flat_voltage',
            `the voltage input (MCP3008 input 5) reads flat: ${figures.voltageSpan} counts peak to peak; is the AC transformer connected?`,
          );
        }
      } catch (error) {
        if (this.stopped) break;
        const adcFault =
          error instanceof AdcFault
            ? error
            : new AdcFault(this.open ? 'transfer_failed' : 'open_failed', (error as Error).message, {
                cause: error,
              });
        if (adcFault.kind === 'source_ended') {
          logger.info({ source: source.description }, adcFault.message);
          this.options.onEnded?.(adcFault.message);
          break;
        }
        // A flat voltage is a signal problem: the bus works and stays open.
        if (adcFault.kind !== 'flat_voltage') await this.closeSource();
        const changed = fault?.kind !== adcFault.kind;
        fault = changed ? { kind: adcFault.kind, since: fault?.since ?? Date.now(), attempts: 1 } : fault!;
        if (!changed) fault.attempts++;
        const report: FaultReport = {
          kind: adcFault.kind,
          message: adcFault.message,
          source: source.description,
          attempt: fault.attempts,
          retryInSeconds: delay,
          changed,
        };
        const details = { kind: report.kind, source: report.source, attempt: report.attempt, retryIn: delay };
        if (changed) logger.error({ ...details, err: adcFault.message }, `ADC fault: ${adcFault.message}`);
        else logger.warn({ ...details, err: adcFault.message }, 'ADC fault persists; retrying');
        this.options.onFault?.(report);
        await sleep(delay * 1000, this.abort.signal);
        delay = Math.min(delay * 2, retry.maxDelay);
        continue;
      }
      if (fault) {
        const report: RecoveryReport = {
          kind: fault.kind,
          source: source.description,
          attempts: fault.attempts,
          downtimeSeconds: (Date.now() - fault.since) / 1000,
        };
        logger.info({ ...report }, 'ADC recovered; sampling again');
        this.options.onRecovered?.(report);
        fault = undefined;
        delay = retry.initialDelay;
      }
      this.batches++;
      try {
        await this.options.onBatch(batch, figures);
      } catch (error) {
        logger.error({ err: error }, 'handling a batch failed; sampling goes on');
      }
    }
  }
}
