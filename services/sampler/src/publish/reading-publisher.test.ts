import { type CtReading, createLogger, Energy, Reading, type TopicDefinition } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../aggregates.js';
import type { ChannelSettings } from '../calculate/types.js';
import { EnergyCounters } from '../energy/energy-counters.js';
import { readingPayload } from './payloads.js';
import { PublishGate } from './publish-gate.js';
import { type PublishSink, ReadingPublisher } from './reading-publisher.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const channels: ChannelSettings[] = [
  { number: 1, type: 'mains', rating: 100, calibration: 1, two_pole: false, reversed: false },
  { number: 3, type: 'consumption', rating: 30, calibration: 1, two_pole: false, reversed: false },
];
const off = { power: 0, current: 0, voltage: 0, pf: 0, frequency: 0 };

function figures(power: number, frequency?: number) {
  return aggregate(
    new Map([
      [1, { power, current: power / 240, voltage: 240, pf: 0.9 }],
      [3, { power: 100, current: 0.5, voltage: 240, pf: 0.8 }],
    ]),
    channels,
    frequency,
  );
}

class Sink implements PublishSink {
  readonly sent: { pattern: string; params: unknown; payload: unknown; expiry: number | undefined }[] = [];
  async publish<T extends TopicDefinition>(
    definition: T,
    params: unknown,
    payload: unknown,
    options?: { messageExpiry?: number },
  ) {
    // Validate as the Bus does, so a payload the contract refuses fails the test.
    const checked = definition.schema.safeParse(payload);
    if (!checked.success) throw new Error(`invalid ${definition.pattern}: ${checked.error.message}`);
    this.sent.push({ pattern: definition.pattern, params, payload, expiry: options?.messageExpiry });
  }
}

function publisher(
  sink: Sink,
  gate = new PublishGate({ minInterval: 0, maxInterval: 60, deadbands: off }),
  expiry = 0,
) {
  return new ReadingPublisher(sink, {
    channels: [
      { number: 1, name: 'Mains', type: 'mains' },
      { number: 3, type: 'consumption' },
    ],
    gate,
    expiry,
    maxInterval: 60,
    minInterval: 0,
    logger,
  });
}

describe('payloads', () => {
  it('match the contract schemas', () => {
    const reading = readingPayload(figures(2126.5, 50.02), '2024-06-01T12:00:00.000Z');
    expect(Reading.parse(reading)).toEqual(reading);
    expect(reading.cts['1']).toEqual({ power: 2126.5, pf: 0.9, current: 2126.5 / 240, voltage: 240 });
    expect(reading['home-consumption'].power).toBe(2126.5);
    expect(reading.frequency).toBe(50.02);
    expect('frequency' in readingPayload(figures(1), '2024-06-01T12:00:00.000Z')).toBe(false);
    const energy = new EnergyCounters([1, 3]).payload('2024-06-01T12:00:00.000Z');
    expect(Energy.parse(energy)).toEqual(energy);
  });
});

describe('reading publisher', () => {
  it('publishes the reading and every channel, retained with a message expiry of a few periods', async () => {
    const sink = new Sink();
    const readings = publisher(sink);
    readings.publish(figures(500, 50), '2024-06-01T12:00:00.000Z', 0);
    readings.publish(figures(600, 50), '2024-06-01T12:00:00.400Z', 400);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.sent.map((s) => [s.pattern, s.params])).toEqual([
      ['readings', {}],
      ['readings/ct/{n}', { n: 1 }],
      ['readings/ct/{n}', { n: 3 }],
      ['readings', {}],
      ['readings/ct/{n}', { n: 1 }],
      ['readings/ct/{n}', { n: 3 }],
    ]);
    const ct = sink.sent[1]!.payload as CtReading;
    expect(ct).toEqual({
      name: 'Mains',
      type: 'mains',
      power: 500,
      current: 500 / 240,
      voltage: 240,
      pf: 0.9,
      timestamp: '2024-06-01T12:00:00.000Z',
    });
    expect((sink.sent[2]!.payload as CtReading).name).toBe('Channel 3');
    expect(sink.sent.every((s) => s.expiry === 5)).toBe(true);
  });

  it('sizes the expiry from the publish period and honours a configured one', () => {
    const sink = new Sink();
    const readings = publisher(sink);
    for (let i = 0; i < 40; i++) readings.publish(figures(500), '2024-06-01T12:00:00.000Z', i * 4000);
    expect(readings.expirySeconds()).toBe(12);
    expect(publisher(sink, undefined, 30).expirySeconds()).toBe(30);
    const banded = publisher(
      sink,
      new PublishGate({ minInterval: 0, maxInterval: 60, deadbands: { ...off, power: 10 } }),
    );
    expect(banded.expirySeconds()).toBe(180);
  });

  it('publishes only what moved past its deadband', async () => {
    const sink = new Sink();
    const gate = new PublishGate({ minInterval: 0, maxInterval: 60, deadbands: { ...off, power: 50 } });
    const readings = publisher(sink, gate);
    readings.publish(figures(500), '2024-06-01T12:00:00.000Z', 0);
    readings.publish(figures(520), '2024-06-01T12:00:01.000Z', 1000);
    readings.publish(figures(560), '2024-06-01T12:00:02.000Z', 2000);
    await new Promise((resolve) => setImmediate(resolve));
    // First pass: all three topics; then 560 W moved channel 1 (and the aggregates) but not channel 3.
    expect(sink.sent.map((s) => s.pattern)).toEqual([
      'readings',
      'readings/ct/{n}',
      'readings/ct/{n}',
      'readings',
      'readings/ct/{n}',
    ]);
    expect(sink.sent[4]!.params).toEqual({ n: 1 });
  });
});
