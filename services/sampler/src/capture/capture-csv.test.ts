import { describe, expect, it } from 'vitest';
import { emulatedBoard } from '../adc/emulated-board.js';
import { calculatePower } from '../calculate/calculate-power.js';
import { CaptureError, captureBatches, captureReadRate, formatCapture, parseCapture } from './capture-csv.js';

const SMALL = ['Sample#,ct1,v1,ct3,v3', '1,512,600,500,601', '2,520,610,505,611', '3,530,620,510,621'].join(
  '\n',
);

describe('capture CSV (power-calculation.md section 7)', () => {
  it('reads the header, the rows in read order and the trailer rows', () => {
    const capture = parseCapture(
      `${SMALL}\r\nSample Rate,18500.5\r\nSample Duration,0.000648\r\nBoard Voltage,3.29\r\n`,
      'c.csv',
    );
    expect(capture.channels).toEqual([1, 3]);
    expect(capture.samples).toBe(3);
    expect([...capture.reads.slice(0, 8)]).toEqual([512, 600, 500, 601, 520, 610, 505, 611]);
    expect(capture.sampleRate).toBe(18500.5);
    expect(capture.sampleDuration).toBe(0.000648);
    expect(capture.boardVoltage).toBe(3.29);
    expect(capture.boardVoltageRecorded).toBe(true);
  });

  it('assumes 3.31 V without a Board Voltage row and derives the rate from the duration', () => {
    const capture = parseCapture(`${SMALL}\nSample Duration,0.001\n`);
    expect(capture.boardVoltage).toBe(3.31);
    expect(capture.boardVoltageRecorded).toBe(false);
    expect(captureReadRate(capture)).toBe(12 / 0.001);
    expect(captureReadRate(parseCapture(SMALL))).toBeUndefined();
  });

  it.each([
    ['', /is empty/],
    ['Sample,ct1,v1\n1,1,1', /:1: the header must start with "Sample#"/],
    ['Sample#,ct1\n1,1', /ctN,vN pairs/],
    ['Sample#,ct1,v2\n1,1,1', /"ct1,v2"/],
    ['Sample#,ct7,v7\n1,1,1', /N from 1 to 6/],
    ['Sample#,ct2,v2,ct1,v1\n1,1,1,1,1', /ascending order/],
    ['Sample#,ct1,v1\n1,1', /:2: expected 3 values/],
    ['Sample#,ct1,v1\n2,1,1', /:2: expected sample number 1/],
    ['Sample#,ct1,v1\n1,1,1024', /:2: column 3 must be a whole count from 0 to 1023, got "1024"/],
    ['Sample#,ct1,v1\n1,1.5,1', /got "1.5"/],
    ['Sample#,ct1,v1\n1,-1,1', /got "-1"/],
    ['Sample#,ct1,v1\nSample Rate,100', /no sample rows/],
    ['Sample#,ct1,v1\n1,1,1\nSample Rate,abc', /:3: Sample Rate must be a number greater than 0/],
    ['Sample#,ct1,v1\n1,1,1\nBoard Voltage,0', /Board Voltage must be a number greater than 0/],
    ['Sample#,ct1,v1\n1,1,1\nSample Rate,100\n2,1,1', /:4: sample rows must come before the trailer rows/],
  ])('rejects %j with a message naming the line', (text, message) => {
    expect(() => parseCapture(text, 'c.csv')).toThrow(CaptureError);
    expect(() => parseCapture(text, 'c.csv')).toThrow(message);
  });

  it('cuts consecutive whole batches and leaves out a short rest', () => {
    const rows = Array.from({ length: 7 }, (_, i) => `${i + 1},${i},${100 + i}`);
    const capture = parseCapture(['Sample#,ct2,v2', ...rows, 'Sample Rate,1000'].join('\n'));
    const batches = [...captureBatches(capture, 3, 1000)];
    expect(batches).toHaveLength(2);
    expect([...batches[1]!.reads]).toEqual([3, 103, 4, 104, 5, 105]);
    expect(batches[1]!.offset).toBeCloseTo(0.006, 12);
    expect(batches[1]!.duration).toBeCloseTo(0.006, 12);
    expect(batches[1]!.times[1]).toBeCloseTo(0.0015, 12);
    expect(batches[0]!.channels).toEqual([2]);
  });

  it('writes what it reads: a captured batch replays to the same figures bit for bit', async () => {
    const board = emulatedBoard({
      channels: [
        { number: 1, current: { amps: 10, phaseDeg: -25 } },
        { number: 4, current: { amps: 3, phaseDeg: 170 } },
      ],
      readRate: 17000,
      noise: 0.5,
      emulator: { boardCounts: 509 },
    });
    const batch = await board.adc.readBatch({ channels: [1, 4], samples: 300 });
    const text = formatCapture(batch);
    expect(text.split('\n')[0]).toBe('Sample#,ct1,v1,ct4,v4');
    const capture = parseCapture(text);
    expect(capture.boardVoltage).toBe(batch.boardVoltage);
    expect(captureReadRate(capture)).toBeCloseTo(17000, 6);
    const replayed = [...captureBatches(capture, 300, captureReadRate(capture)!)][0]!;
    expect([...replayed.reads]).toEqual([...batch.reads]);
    const original = calculatePower(batch, board.settings, 'compat');
    const again = calculatePower(replayed, board.settings, 'compat');
    expect(again.channels).toEqual(original.channels);
    expect(again.frequency).toBeCloseTo(original.frequency!, 6);
    const aligned = calculatePower(replayed, board.settings, 'aligned').channels.get(1)!.power;
    expect(aligned).toBeCloseTo(calculatePower(batch, board.settings, 'aligned').channels.get(1)!.power, 6);
  });
});
