import { describe, expect, it } from 'vitest';
import type { AdcBus, SpiTransfer } from './adc-bus.js';
import { conversionCommand, conversionResult, Mcp3008 } from './mcp3008.js';
import { Mcp3008Emulator } from './mcp3008-emulator.js';

/** A bus that records every call and answers each input with a fixed code. */
class RecordingBus implements AdcBus {
  readonly calls: SpiTransfer[][] = [];
  private clock = 0;
  constructor(private readonly answer: (input: number) => number) {}
  async transfer(transfers: readonly SpiTransfer[]): Promise<void> {
    this.calls.push([...transfers]);
    for (const transfer of transfers) {
      const input = (transfer.sendBuffer[1]! >> 4) & 7;
      const code = this.answer(input);
      transfer.receiveBuffer[1] = 0xfc | (code >> 8);
      transfer.receiveBuffer[2] = code & 0xff;
    }
    this.clock += transfers.length * 1e-5 + 1e-4;
  }
  now(): number {
    return this.clock;
  }
  async close(): Promise<void> {}
}

const scene = { frequency: 50, volts: 240, currents: {} };
const scale = { voltsPerCount: 0.8, ampsPerCount: { 1: 0.1, 5: 0.1 } };

describe('MCP3008 protocol', () => {
  it('sends [0x01, (8 + input) << 4, 0x00] and reads the low 10 bits of bytes 1 and 2', () => {
    expect([...conversionCommand(0)]).toEqual([0x01, 0x80, 0x00]);
    expect([...conversionCommand(5)]).toEqual([0x01, 0xd0, 0x00]);
    expect([...conversionCommand(7)]).toEqual([0x01, 0xf0, 0x00]);
    expect(conversionResult(Uint8Array.from([0xff, 0xfb, 0xff]))).toBe(1023);
    expect(conversionResult(Uint8Array.from([0x00, 0xf8, 0x2a]))).toBe(42);
    expect(conversionResult(Uint8Array.from([0x00, 0x02, 0x00]))).toBe(512);
  });
});

describe('Mcp3008 driver', () => {
  it('reads 11 board readings, then CT and voltage interleaved per sample in ascending channel order', async () => {
    const inputs: number[] = [];
    const bus = new RecordingBus((input) => {
      inputs.push(input);
      return input === 4 ? 500 : input * 100 + 3;
    });
    const adc = new Mcp3008(bus, { speedHz: 1_750_000, transfersPerCall: 7 });
    const batch = await adc.readBatch({ channels: [1, 5, 6], samples: 3 });
    expect(inputs.slice(0, 11)).toEqual(Array(11).fill(4));
    // CT5 and CT6 are inputs 6 and 7; the voltage is input 5.
    expect(inputs.slice(11)).toEqual([0, 5, 6, 5, 7, 5, 0, 5, 6, 5, 7, 5, 0, 5, 6, 5, 7, 5]);
    expect([...batch.reads.slice(0, 6)]).toEqual([3, 503, 603, 503, 703, 503]);
    expect(batch.boardVoltage).toBe((500 / 1024) * 3.31 * 2);
    expect(batch.channels).toEqual([1, 5, 6]);
    expect(batch.samples).toBe(3);
  });

  it('issues many transfers per call, releasing chip select between conversions but not after the last', async () => {
    const bus = new RecordingBus(() => 512);
    const adc = new Mcp3008(bus, { speedHz: 1_000_000, transfersPerCall: 4 });
    await adc.readBatch({ channels: [1, 2], samples: 5 });
    // 11 board reads in one call, then 20 reads in calls of 4.
    expect(bus.calls.map((call) => call.length)).toEqual([11, 4, 4, 4, 4, 4]);
    for (const call of bus.calls) {
      expect(call.slice(0, -1).every((transfer) => transfer.chipSelectChange === true)).toBe(true);
      expect(call.at(-1)!.chipSelectChange).toBe(false);
      expect(call.every((transfer) => transfer.byteLength === 3 && transfer.speedHz === 1_000_000)).toBe(
        true,
      );
    }
  });

  it('spreads each call evenly between the clock readings around it and records the duration', async () => {
    const bus = new RecordingBus(() => 512);
    const adc = new Mcp3008(bus, { speedHz: 1_000_000, transfersPerCall: 4 });
    const batch = await adc.readBatch({ channels: [1], samples: 4 });
    // Each call of 4 takes 4e-5 + 1e-4 s on this bus: 3.5e-5 s per read.
    const step = (4 * 1e-5 + 1e-4) / 4;
    expect(batch.times[0]).toBeCloseTo(step / 2, 12);
    expect(batch.times[3]! - batch.times[2]!).toBeCloseTo(step, 12);
    expect(batch.times[4]).toBeCloseTo(4 * step + step / 2, 12);
    expect(batch.duration).toBeCloseTo(8 * step, 12);
    expect(batch.startedAt).toBeGreaterThan(Date.now() - 5000);
  });

  it('reuses its transfer plan while the layout stays the same', async () => {
    const bus = new RecordingBus(() => 512);
    const adc = new Mcp3008(bus, { speedHz: 1_000_000, transfersPerCall: 255 });
    await adc.readBatch({ channels: [1], samples: 10 });
    await adc.readBatch({ channels: [1], samples: 10 });
    expect(bus.calls[1]![0]).toBe(bus.calls[3]![0]);
    await adc.readBatch({ channels: [1, 2], samples: 10 });
    expect(bus.calls[5]!.length).toBe(40);
  });

  it('rejects a transfer size of 0', () => {
    expect(() => new Mcp3008(new RecordingBus(() => 0), { speedHz: 1, transfersPerCall: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('Mcp3008Emulator', () => {
  it('answers the 3-byte protocol, with undefined leading bits set and the null bit clear', () => {
    const emulator = new Mcp3008Emulator({ readRate: 10000, scale, scene, boardCounts: 600 });
    const rx = Buffer.alloc(3);
    emulator.transferSync([{ byteLength: 3, sendBuffer: conversionCommand(4), receiveBuffer: rx }]);
    expect([...rx]).toEqual([0xff, 0xf8 | 2, 600 & 0xff]);
    expect(conversionResult(rx)).toBe(600);
  });

  it('refuses protocol errors in strict mode', () => {
    const emulator = new Mcp3008Emulator({ readRate: 10000, scale, scene });
    const rx = Buffer.alloc(3);
    const bad =
      (sendBuffer: Buffer, extra: Partial<SpiTransfer> = {}) =>
      () =>
        emulator.transferSync([{ byteLength: 3, sendBuffer, receiveBuffer: rx, ...extra }]);
    expect(bad(Buffer.from([0x00, 0x80, 0]))).toThrow(/expected \[0x01/);
    expect(bad(Buffer.from([0x01, 0x81, 0]))).toThrow(/expected \[0x01/);
    expect(bad(conversionCommand(0), { byteLength: 2 })).toThrow(/exactly 3 bytes/);
    expect(bad(conversionCommand(0), { speedHz: 5_000_000 })).toThrow(/above the chip/);
    expect(bad(conversionCommand(0), { chipSelectChange: true })).toThrow(/last transfer/);
    expect(() =>
      emulator.transferSync([
        { byteLength: 3, sendBuffer: conversionCommand(0), receiveBuffer: rx },
        { byteLength: 3, sendBuffer: conversionCommand(0), receiveBuffer: Buffer.alloc(3) },
      ]),
    ).toThrow(/chip select must be released/);
  });

  it('samples the waves at the instant of each transfer and advances its clock by 1 / readRate per read', () => {
    const emulator = new Mcp3008Emulator({
      readRate: 1000,
      scale,
      scene: { frequency: 50, volts: (0.8 * 100) / Math.SQRT2, currents: {} },
      startTime: 0,
    });
    const rx = Array.from({ length: 10 }, () => Buffer.alloc(3));
    emulator.transferSync(
      rx.map((receiveBuffer, index) => ({
        byteLength: 3,
        sendBuffer: conversionCommand(5),
        receiveBuffer,
        chipSelectChange: index < 9,
      })),
    );
    // 100 counts peak at 50 Hz; read k happens at (k + 0.5) ms.
    rx.forEach((buffer, k) => {
      expect(conversionResult(buffer)).toBe(
        Math.round(512 + 100 * Math.sin(2 * Math.PI * 50 * ((k + 0.5) / 1000))),
      );
    });
    expect(emulator.now()).toBeCloseTo(0.01, 12);
  });

  it('clips at the ends of the range, adds seeded noise, and emulates faults', () => {
    const emulator = new Mcp3008Emulator({
      readRate: 1000,
      scale,
      scene: { frequency: 50, volts: 0, currents: { 1: { amps: 100, phaseDeg: 90 } } },
      noise: 2,
      seed: 4,
    });
    // 100 A at 0.1 A per count is 1414 counts peak: clipped to 0..1023.
    const values = Array.from({ length: 200 }, (_, k) => emulator.convert(0, k / 1000 + 0.0001));
    expect(Math.max(...values)).toBe(1023);
    expect(Math.min(...values)).toBe(0);
    const quiet = Array.from({ length: 500 }, (_, k) => emulator.convert(5, k / 1000));
    const mean = quiet.reduce((a, b) => a + b, 0) / quiet.length;
    const rms = Math.sqrt(quiet.reduce((a, b) => a + (b - mean) ** 2, 0) / quiet.length);
    expect(rms).toBeGreaterThan(1.7);
    expect(rms).toBeLessThan(2.4);
    emulator.fault = 'transfer';
    expect(() =>
      emulator.transferSync([
        { byteLength: 3, sendBuffer: conversionCommand(0), receiveBuffer: Buffer.alloc(3) },
      ]),
    ).toThrow(/EIO/);
  });

  it('computes the true power of its scene, harmonics included', () => {
    const emulator = new Mcp3008Emulator({
      readRate: 1000,
      scale,
      scene: {
        frequency: 50,
        volts: 230,
        voltageHarmonics: [{ order: 3, fraction: 0.1, phaseDeg: 0 }],
        currents: { 1: { amps: 10, phaseDeg: -60, harmonics: [{ order: 3, fraction: 0.5, phaseDeg: 0 }] } },
      },
    });
    expect(emulator.truePower(1)).toBeCloseTo(230 * 10 * 0.5 + 23 * 5, 9);
    expect(emulator.truePower(2)).toBe(0);
  });
});
