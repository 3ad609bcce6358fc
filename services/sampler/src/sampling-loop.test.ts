import { createLogger } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { AdcFault } from './adc/adc-bus.js';
import { emulatedBoard } from './adc/emulated-board.js';
import type { BatchLayout } from './adc/mcp3008.js';
import type { RawBatch } from './raw-batch.js';
import { type FaultReport, type RecoveryReport, SamplingLoop } from './sampling-loop.js';
import type { BatchSource } from './sources/batch-source.js';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A source scripted per call: 'ok', 'flat', 'open' (open fails), 'transfer' (read fails), 'end', 'bug'. */
class ScriptedSource implements BatchSource {
  readonly kind = 'simulated';
  readonly description = 'scripted';
  opens = 0;
  closes = 0;
  reads = 0;
  private readonly board = emulatedBoard({
    channels: [{ number: 1, current: { amps: 5, phaseDeg: 0 } }],
    readRate: 20000,
  });
  constructor(private readonly script: string[]) {}
  private step(): string {
    return this.script.shift() ?? 'ok';
  }
  async open(): Promise<void> {
    this.opens++;
    if (this.script[0] === 'open') {
      this.step();
      throw new AdcFault('open_failed', 'cannot open /dev/spidev0.0: ENOENT');
    }
  }
  async read(layout: BatchLayout): Promise<RawBatch> {
    this.reads++;
    const step = this.step();
    if (step === 'transfer') throw new AdcFault('transfer_failed', 'EIO');
    if (step === 'bug') throw new TypeError('not an ADC fault');
    if (step === 'end') throw new AdcFault('source_ended', 'played to its end');
    this.board.emulator.fault = step === 'flat' ? 'flat_voltage' : undefined;
    return this.board.adc.readBatch(layout);
  }
  async close(): Promise<void> {
    this.closes++;
  }
}

function run(script: string[], batchesWanted: number, extra: { onBatch?: () => void } = {}) {
  const source = new ScriptedSource(script);
  const faults: FaultReport[] = [];
  const recoveries: RecoveryReport[] = [];
  const ended: string[] = [];
  let batches = 0;
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const loop = new SamplingLoop({
    source,
    layout: { channels: [1], samples: 100 },
    calculation: emulatedBoard({ channels: [{ number: 1 }], readRate: 1 }).settings,
    mode: 'aligned',
    retry: { initialDelay: 0.01, maxDelay: 0.04 },
    logger,
    onBatch: () => {
      extra.onBatch?.();
      if (++batches >= batchesWanted) resolve();
    },
    onFault: (report) => faults.push(report),
    onRecovered: (report) => recoveries.push(report),
    onEnded: (message) => {
      ended.push(message);
      resolve();
    },
  });
  loop.start();
  return {
    source,
    faults,
    recoveries,
    ended,
    loop,
    done: done.then(() => loop.stop()),
    count: () => batches,
  };
}

describe('sampling loop', () => {
  it('retries a device that cannot be opened with doubling backoff, then reports the recovery', async () => {
    const started = Date.now();
    const { source, faults, recoveries, done } = run(['open', 'open', 'open', 'open'], 2);
    await done;
    expect(faults.map((f) => [f.kind, f.attempt, f.retryInSeconds, f.changed])).toEqual([
      ['open_failed', 1, 0.01, true],
      ['open_failed', 2, 0.02, false],
      ['open_failed', 3, 0.04, false],
      ['open_failed', 4, 0.04, false],
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]!.kind).toBe('open_failed');
    expect(recoveries[0]!.attempts).toBe(4);
    expect(source.opens).toBe(5);
  });

  it('closes and reopens the source after a transfer error, and starts the backoff over after recovering', async () => {
    const { source, faults, recoveries, done } = run(
      ['ok', 'transfer', 'ok', 'transfer', 'transfer', 'ok'],
      3,
    );
    await done;
    expect(faults.map((f) => [f.kind, f.attempt, f.retryInSeconds])).toEqual([
      ['transfer_failed', 1, 0.01],
      ['transfer_failed', 1, 0.01],
      ['transfer_failed', 2, 0.02],
    ]);
    expect(recoveries).toHaveLength(2);
    expect(source.opens).toBe(4);
    // Once per fault, and once more when the loop stops.
    expect(source.closes).toBe(4);
  });

  it('treats a flat voltage input as a fault without closing the bus', async () => {
    const { source, faults, recoveries, done } = run(['flat', 'flat', 'ok'], 1);
    await done;
    expect(faults.map((f) => f.kind)).toEqual(['flat_voltage', 'flat_voltage']);
    expect(faults[0]!.message).toMatch(/voltage input \(MCP3008 input 5\) reads flat/);
    expect(recoveries[0]!.kind).toBe('flat_voltage');
    expect(source.opens).toBe(1);
    // Only the close when the loop stops.
    expect(source.closes).toBe(1);
  });

  it('reports a change of fault kind as a new fault and wraps unexpected errors', async () => {
    const { faults, done } = run(['transfer', 'bug', 'flat', 'ok'], 1);
    await done;
    expect(faults.map((f) => [f.kind, f.changed])).toEqual([
      ['transfer_failed', true],
      ['transfer_failed', false],
      ['flat_voltage', true],
    ]);
  });

  it('stops at the end of a source that has no more batches', async () => {
    const { ended, faults, done, count } = run(['ok', 'end'], 100);
    await done;
    expect(ended).toEqual(['played to its end']);
    expect(faults).toHaveLength(0);
    expect(count()).toBe(1);
  });

  it('keeps sampling when a batch consumer throws', async () => {
    let calls = 0;
    const { done, count } = run([], 3, {
      onBatch: () => {
        if (++calls === 1) throw new Error('consumer bug');
      },
    });
    await done;
    // The first batch's consumer threw; the loop went on to deliver three more.
    expect(count()).toBe(3);
    expect(calls).toBe(4);
  });

  it('stops promptly during a long backoff', async () => {
    const source = new ScriptedSource(['open']);
    const loop = new SamplingLoop({
      source,
      layout: { channels: [1], samples: 100 },
      calculation: emulatedBoard({ channels: [{ number: 1 }], readRate: 1 }).settings,
      mode: 'compat',
      retry: { initialDelay: 60, maxDelay: 60 },
      logger,
      onBatch: () => {},
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
