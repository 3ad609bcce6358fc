import { type Bus, type Logger, topics, type WattbusConfig } from '@wattbus/shared';
import { aggregate } from './aggregates.js';
import type { CalculationMode } from './calculate/calculate-power.js';
import { EnergyKeeper } from './energy/energy-keeper.js';
import { EnergyStore } from './energy/energy-store.js';
import { PublishGate } from './publish/publish-gate.js';
import { ReadingPublisher } from './publish/reading-publisher.js';
import type { SamplerSettings } from './sampler-config.js';
import { type FaultReport, type RecoveryReport, SamplingLoop } from './sampling-loop.js';
import { Smoother } from './smoothing.js';
import type { BatchSource } from './sources/batch-source.js';

export interface SamplerServiceOptions {
  config: WattbusConfig;
  settings: SamplerSettings;
  source: BatchSource;
  bus: Bus;
  logger: Logger;
}

/**
 * The sampler's composition: the sampling loop feeds every batch to the energy counters (unsmoothed) and to the
 * smoother, whose output is published. The state topic reads `online` while batches flow and `offline` during an
 * ADC fault; faults and recoveries are announced on `<base>/bridge/event`.
 */
export class SamplerService {
  readonly loop: SamplingLoop;
  readonly energy: EnergyKeeper;
  private readonly publisher: ReadingPublisher;
  private readonly smoother: Smoother;
  private online = false;

  constructor(private readonly options: SamplerServiceOptions) {
    const { config, settings, bus, logger, source } = options;
    const sampler = config.sampler;
    this.smoother = new Smoother(settings.calculation.channels);
    this.energy = new EnergyKeeper({
      channels: settings.channels.map((channel) => channel.number),
      store: new EnergyStore(sampler.energy_file, logger, (failure) =>
        failure
          ? this.event('sampler_storage_failed', {
              file: sampler.energy_file,
              reason: failure.message,
              code: failure.code ?? null,
            })
          : this.event('sampler_storage_recovered', { file: sampler.energy_file }),
      ),
      bus,
      persistInterval: sampler.energy_persist_interval,
      publishInterval: sampler.energy_publish_interval,
      logger,
    });
    this.publisher = new ReadingPublisher(bus, {
      channels: settings.channels,
      gate: new PublishGate({
        minInterval: sampler.min_publish_interval,
        maxInterval: sampler.max_publish_interval,
        deadbands: {
          power: sampler.power_deadband,
          current: sampler.current_deadband,
          voltage: sampler.voltage_deadband,
          pf: sampler.pf_deadband,
          frequency: sampler.frequency_deadband,
        },
      }),
      expiry: sampler.readings_expiry,
      maxInterval: sampler.max_publish_interval,
      minInterval: sampler.min_publish_interval,
      logger,
    });
    this.loop = new SamplingLoop({
      source,
      layout: {
        channels: settings.channels.map((channel) => channel.number),
        samples: sampler.samples_per_batch,
      },
      calculation: settings.calculation,
      mode: sampler.mode as CalculationMode,
      retry: { initialDelay: sampler.retry_initial_delay, maxDelay: sampler.retry_max_delay },
      logger,
      onBatch: (batch, batchFigures) => {
        const figures = aggregate(
          batchFigures.channels,
          settings.calculation.channels,
          batchFigures.frequency,
        );
        this.energy.add(figures, batch.startedAt, batch.duration);
        this.setOnline(true);
        const smoothed = this.smoother.push(figures);
        if (smoothed) {
          const timestamp = new Date(batch.startedAt + batch.duration * 1000).toISOString();
          this.publisher.publish(smoothed, timestamp);
        }
      },
      onFault: (report) => this.onFault(report),
      onRecovered: (report) => this.event('sampler_recovered', { ...recoveryData(report) }),
      onEnded: () => this.setOnline(false),
    });
  }

  start(): void {
    const { logger, source, config, settings } = this.options;
    logger.info(
      {
        source: source.description,
        mode: config.sampler.mode,
        channels: settings.channels.map((channel) => channel.number),
        samplesPerBatch: config.sampler.samples_per_batch,
      },
      'sampling',
    );
    this.energy.start();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.energy.stop();
  }

  private onFault(report: FaultReport): void {
    this.smoother.reset();
    this.energy.gap();
    this.setOnline(false);
    if (report.changed) {
      this.event('sampler_fault', {
        kind: report.kind,
        message: report.message,
        source: report.source,
        attempt: report.attempt,
        retry_in_seconds: report.retryInSeconds,
      });
    }
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.options.logger.info({ state: online ? 'online' : 'offline' }, 'sampler state');
    this.options.bus
      .setState(online ? 'online' : 'offline')
      .catch((error: unknown) =>
        this.options.logger.warn({ err: (error as Error).message }, 'could not publish the sampler state'),
      );
  }

  private event(
    type: 'sampler_fault' | 'sampler_recovered' | 'sampler_storage_failed' | 'sampler_storage_recovered',
    data: Record<string, unknown>,
  ): void {
    this.options.bus
      .publish(topics.bridgeEvent, {}, { type, data })
      .catch((error: unknown) =>
        this.options.logger.warn({ err: (error as Error).message, type }, 'could not publish a bridge event'),
      );
  }
}

function recoveryData(report: RecoveryReport): Record<string, unknown> {
  return {
    kind: report.kind,
    source: report.source,
    attempts: report.attempts,
    downtime_seconds: report.downtimeSeconds,
  };
}
