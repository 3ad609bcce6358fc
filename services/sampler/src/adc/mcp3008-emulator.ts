import { BOARD_INPUT, ctInput, VOLTAGE_INPUT } from '../calculate/scale.js';
import type { AdcBus, SpiTransfer } from './adc-bus.js';
import { Random } from './random.js';

/** A harmonic of a wave: `fraction` of the fundamental's amplitude, at `order` times its frequency. */
export interface Harmonic {
  order: number;
  fraction: number;
  /** Phase in degrees relative to the voltage fundamental's zero crossing, in the harmonic's own cycle. */
  phaseDeg: number;
}

export interface EmulatedCurrent {
  /** RMS of the fundamental, in amps. */
  amps: number;
  /** Angle of the current relative to the voltage in degrees: negative lags (inductive), 180 is export. */
  phaseDeg: number;
  harmonics?: readonly Harmonic[];
}

/** The electrical situation the emulated board sees: one voltage wave and the current through each CT. */
export interface EmulatorScene {
  frequency: number;
  /** RMS of the voltage fundamental, in grid volts. */
  volts: number;
  voltageHarmonics?: readonly Harmonic[];
  /** Current through each CT channel (1-6); absent channels read the mid-scale bias. */
  currents: Partial<Record<number, EmulatedCurrent>>;
}

/** How the board turns grid volts and CT amps into counts: the inverse of the calculation's K_V and K_I. */
export interface EmulatorScale {
  voltsPerCount: number;
  /** Amps per count of each CT channel (1-6). */
  ampsPerCount: Partial<Record<number, number>>;
}

export type EmulatedFault = 'transfer' | 'flat_voltage' | undefined;

export interface EmulatorOptions {
  /** Conversions per second: the emulated reads are evenly spaced at this rate. */
  readRate: number;
  scale: EmulatorScale;
  scene: EmulatorScene;
  /** Gaussian noise added to every conversion before quantisation, in counts RMS. */
  noise?: number;
  seed?: number;
  /** What input 4 (the board rail through a divide-by-2) reads; 512 gives B = 3.31 V. */
  boardCounts?: number;
  /** DC bias of the CT and voltage inputs, in counts. */
  bias?: number;
  /** Seconds spent in each call before the first transfer starts (system call overhead). */
  callLatency?: number;
  /** Start of the emulated clock, in seconds. */
  startTime?: number;
  /** Reject protocol errors (a bad start bit, a missing chip-select change) instead of answering garbage. */
  strict?: boolean;
  /** Highest SPI clock accepted (the MCP3008 manages 3.6 MHz at 5 V). */
  maxSpeedHz?: number;
}

interface InputWave {
  /** Peak amplitude of the fundamental in counts. */
  amplitude: number;
  phase: number;
  harmonics: { order: number; amplitude: number; phase: number }[];
}

const DEG = Math.PI / 180;

/**
 * An MCP3008 on an emulated SPI bus. It answers the real 3-byte protocol (`[0x01, (8 + input) << 4, 0]` in,
 * the 10-bit result in the low bits of bytes 1 and 2 out) from synthetic waveforms, sampled at the instant each
 * transfer happens on an emulated clock that advances `1 / readRate` per conversion. Unit tests and the
 * simulated source use it, so the path from SPI bytes to published readings runs without hardware.
 */
export class Mcp3008Emulator implements AdcBus {
  fault: EmulatedFault;
  private clock: number;
  private readonly random: Random;
  private readonly inputs: (InputWave | undefined)[] = [];
  private omega = 0;
  private scene: EmulatorScene;
  private closed = false;
  /** Conversions answered so far. */
  conversions = 0;
  /** Transfer calls so far. */
  calls = 0;

  constructor(private readonly options: EmulatorOptions) {
    if (!(options.readRate > 0)) throw new RangeError('readRate must be greater than 0');
    this.clock = options.startTime ?? 0;
    this.random = new Random(options.seed ?? 1);
    this.scene = options.scene;
    this.setScene(options.scene);
  }

  /** Changes the waveforms from the next transfer on (the simulated household does this every batch). */
  setScene(scene: EmulatorScene): void {
    this.scene = scene;
    const { scale } = this.options;
    this.omega = 2 * Math.PI * scene.frequency;
    const peak = Math.SQRT2;
    this.inputs.length = 0;
    this.inputs[VOLTAGE_INPUT] = wave((peak * scene.volts) / scale.voltsPerCount, 0, scene.voltageHarmonics);
    for (const [key, current] of Object.entries(scene.currents)) {
      const channel = Number(key);
      const ampsPerCount = scale.ampsPerCount[channel];
      if (!current || ampsPerCount === undefined) continue;
      this.inputs[ctInput(channel)] = wave(
        (peak * current.amps) / ampsPerCount,
        current.phaseDeg,
        current.harmonics,
      );
    }
  }

  get currentScene(): EmulatorScene {
    return this.scene;
  }

  now(): number {
    return this.clock;
  }

  /** Moves the emulated clock forward, e.g. to the wall-clock time of the next batch. */
  advanceTo(seconds: number): void {
    if (seconds > this.clock) this.clock = seconds;
  }

  async transfer(transfers: readonly SpiTransfer[]): Promise<void> {
    this.transferSync(transfers);
  }

  transferSync(transfers: readonly SpiTransfer[]): void {
    if (this.closed) throw new Error('EBADF: the emulated SPI device is closed');
    this.calls++;
    if (this.fault === 'transfer') throw new Error('EIO: emulated SPI transfer error');
    const { readRate, strict = true, maxSpeedHz = 3_600_000 } = this.options;
    this.clock += this.options.callLatency ?? 0;
    const start = this.clock;
    const count = transfers.length;
    for (let index = 0; index < count; index++) {
      const transfer = transfers[index]!;
      const tx = transfer.sendBuffer;
      const rx = transfer.receiveBuffer;
      if (strict) checkTransfer(transfer, index === count - 1, maxSpeedHz);
      let code = 0;
      if (tx[0] === 0x01) {
        const config = tx[1]! >> 4;
        const input = config & 0x07;
        const time = start + (index + 0.5) / readRate;
        code = (config & 0x08) !== 0 ? this.convert(input, time) : this.differential(input, time);
      }
      rx[0] = 0xff;
      // The bits before the result are undefined on the wire; bit 2 is the null bit (0).
      rx[1] = 0xf8 | (code >> 8);
      rx[2] = code & 0xff;
    }
    this.clock = start + count / readRate;
    this.conversions += count;
  }

  /** The conversion of one single-ended input at `time`: what the chip would answer. */
  convert(input: number, time: number): number {
    if (input === BOARD_INPUT) return this.options.boardCounts ?? 512;
    const bias = this.options.bias ?? 512;
    let value = bias;
    const wave = this.inputs[input];
    if (wave && !(input === VOLTAGE_INPUT && this.fault === 'flat_voltage')) {
      const angle = this.omega * time;
      value += wave.amplitude * Math.sin(angle + wave.phase);
      for (const harmonic of wave.harmonics) {
        value += harmonic.amplitude * Math.sin(harmonic.order * angle + harmonic.phase);
      }
    }
    const noise = this.options.noise ?? 0;
    if (noise > 0) value += noise * this.random.gaussian();
    const code = Math.round(value);
    return Math.min(1023, Math.max(0, code));
  }

  /** Pseudo-differential mode: IN+ is the input named by D2-D0, IN- its pair partner; clamped at 0. */
  private differential(input: number, time: number): number {
    return Math.max(0, this.convert(input, time) - this.convert(input ^ 0x01, time));
  }

  /** True real power of a channel in W (per CT, before two_pole doubling), from the scene's waveforms. */
  truePower(channel: number): number {
    const current = this.scene.currents[channel];
    if (!current) return 0;
    let power = this.scene.volts * current.amps * Math.cos(current.phaseDeg * DEG);
    for (const harmonic of current.harmonics ?? []) {
      const voltageHarmonic = this.scene.voltageHarmonics?.find((h) => h.order === harmonic.order);
      if (!voltageHarmonic) continue;
      power +=
        this.scene.volts *
        voltageHarmonic.fraction *
        current.amps *
        harmonic.fraction *
        Math.cos((harmonic.phaseDeg - voltageHarmonic.phaseDeg) * DEG);
    }
    return power;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function wave(amplitude: number, phaseDeg: number, harmonics: readonly Harmonic[] = []): InputWave {
  return {
    amplitude,
    phase: phaseDeg * DEG,
    harmonics: harmonics.map((h) => ({
      order: h.order,
      amplitude: amplitude * h.fraction,
      phase: h.phaseDeg * DEG,
    })),
  };
}

function checkTransfer(transfer: SpiTransfer, last: boolean, maxSpeedHz: number): void {
  const tx = transfer.sendBuffer;
  if (transfer.byteLength !== 3 || tx.length < 3 || transfer.receiveBuffer.length < 3) {
    throw new Error(`MCP3008 protocol: a conversion is exactly 3 bytes, got ${transfer.byteLength}`);
  }
  if (tx[0] !== 0x01 || (tx[1]! & 0x0f) !== 0) {
    throw new Error(
      `MCP3008 protocol: expected [0x01, config << 4, 0x00], got [${[...tx.subarray(0, 3)].map((b) => `0x${b.toString(16)}`).join(', ')}]`,
    );
  }
  if (!last && transfer.chipSelectChange !== true) {
    throw new Error('MCP3008 protocol: chip select must be released between conversions (chipSelectChange)');
  }
  if (last && transfer.chipSelectChange === true) {
    throw new Error('MCP3008 protocol: the last transfer of a call must not keep the chip selected');
  }
  if (transfer.speedHz !== undefined && transfer.speedHz > maxSpeedHz) {
    throw new Error(`MCP3008 protocol: ${transfer.speedHz} Hz is above the chip's ${maxSpeedHz} Hz`);
  }
}
