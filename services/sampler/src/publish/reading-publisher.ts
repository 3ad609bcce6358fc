import type { Logger, PayloadOf, PublishOptions, TopicDefinition, TopicParams } from '@wattbus/shared';
import { topics } from '@wattbus/shared';
import type { Figures } from '../aggregates.js';
import { type ChannelLabel, ctReadingPayload, readingFields, readingPayload } from './payloads.js';
import type { PublishGate } from './publish-gate.js';

/** The part of the Bus the publisher needs, so it can be tested without a broker. */
export interface PublishSink {
  publish<T extends TopicDefinition>(
    definition: T,
    params: TopicParams<T>,
    payload: PayloadOf<T>,
    options?: PublishOptions,
  ): Promise<void>;
}

export interface ReadingPublisherOptions {
  channels: readonly ChannelLabel[];
  gate: PublishGate;
  /** Seconds of MQTT 5 message expiry on retained readings; 0 picks a few publish periods. */
  expiry: number;
  /** With deadbands on, the longest a retained value may stand unchanged. */
  maxInterval: number;
  minInterval: number;
  logger: Logger;
}

/**
 * Publishes smoothed figures on `<base>/readings` and `<base>/readings/ct/<n>`, retained with a message expiry
 * so that a stopped sampler's last reading disappears instead of looking live. Publishing never blocks sampling:
 * a failed publish is logged and the next batch tries again.
 */
export class ReadingPublisher {
  private period: number | undefined;
  private lastBatchAt: number | undefined;
  published = 0;

  constructor(
    private readonly sink: PublishSink,
    private readonly options: ReadingPublisherOptions,
  ) {}

  /** Message expiry in seconds: the configured one, or three publish periods and at least 5 s. */
  expirySeconds(): number {
    if (this.options.expiry > 0) return this.options.expiry;
    const base = this.options.gate.deadbandsOn
      ? this.options.maxInterval
      : Math.max(this.options.minInterval, this.period ?? 1);
    return Math.ceil(Math.max(5, 3 * base));
  }

  publish(figures: Figures, timestamp: string, now = Date.now()): void {
    if (this.lastBatchAt !== undefined) {
      const interval = (now - this.lastBatchAt) / 1000;
      if (interval > 0)
        this.period = this.period === undefined ? interval : 0.9 * this.period + 0.1 * interval;
    }
    this.lastBatchAt = now;
    const messageExpiry = this.expirySeconds();
    const reading = readingPayload(figures, timestamp);
    if (this.options.gate.offer('readings', readingFields(reading), now)) {
      this.send(this.sink.publish(topics.readings, {}, reading, { messageExpiry }));
      this.published++;
    }
    for (const channel of this.options.channels) {
      const channelFigures = figures.cts.get(channel.number);
      if (!channelFigures) continue;
      const payload = ctReadingPayload(channel, channelFigures, timestamp);
      const fields = {
        power: payload.power,
        current: payload.current,
        voltage: payload.voltage,
        pf: payload.pf,
      };
      if (this.options.gate.offer(`ct/${channel.number}`, fields, now)) {
        this.send(this.sink.publish(topics.ctReading, { n: channel.number }, payload, { messageExpiry }));
      }
    }
  }

  private send(publication: Promise<void>): void {
    publication.catch((error: unknown) =>
      this.options.logger.warn({ err: (error as Error).message }, 'could not publish a reading'),
    );
  }
}
