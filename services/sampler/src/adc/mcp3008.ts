import { BOARD_INPUT, BOARD_READS, boardVoltage, ctInput, VOLTAGE_INPUT } from '../calculate/scale.js';
import type { RawBatch } from '../raw-batch.js';
import type { AdcBus, SpiTransfer } from './adc-bus.js';

export interface Mcp3008Options {
  /** SPI clock for every transfer. */
  speedHz: number;
  /** Conversions per transfer call (one system call); spidev allows up to 511. */
  transfersPerCall: number;
}

/** The enabled channels and samples per channel of a batch: what decides the read sequence. */
export interface BatchLayout {
  channels: readonly number[];
  samples: number;
}

/** The command bytes of a single-ended conversion of `input`. */
export function conversionCommand(input: number): Buffer {
  return Buffer.from([0x01, (8 + input) << 4, 0x00]);
}

/** The 10-bit result of a conversion from its 3 received bytes. */
export function conversionResult(rx: Uint8Array, offset = 0): number {
  return ((rx[offset + 1]! & 0x03) << 8) | rx[offset + 2]!;
}

/**
 * The transfers of one batch, built once per layout and reused: a receive buffer for every conversion, one
 * shared command buffer per input, and the message arrays cut into calls.
 */
class ReadPlan {
  readonly boardCall: SpiTransfer[];
  readonly calls: SpiTransfer[][] = [];
  readonly boardRx: Buffer;
  readonly rx: Buffer;
  readonly reads: number;

  constructor(layout: BatchLayout, options: Mcp3008Options) {
    const commands = new Map<number, Buffer>();
    const command = (input: number) => {
      let buffer = commands.get(input);
      if (!buffer) {
        buffer = conversionCommand(input);
        commands.set(input, buffer);
      }
      return buffer;
    };
    const inputs: number[] = [];
    for (let i = 0; i < layout.samples; i++) {
      for (const channel of layout.channels) inputs.push(ctInput(channel), VOLTAGE_INPUT);
    }
    this.reads = inputs.length;
    this.boardRx = Buffer.alloc(3 * BOARD_READS);
    this.rx = Buffer.alloc(3 * inputs.length);
    const transfer = (input: number, rx: Buffer, index: number, last: boolean): SpiTransfer => ({
      byteLength: 3,
      sendBuffer: command(input),
      receiveBuffer: rx.subarray(3 * index, 3 * index + 3),
      speedHz: options.speedHz,
      chipSelectChange: !last,
    });
    this.boardCall = Array.from({ length: BOARD_READS }, (_, index) =>
      transfer(BOARD_INPUT, this.boardRx, index, index === BOARD_READS - 1),
    );
    for (let first = 0; first < inputs.length; first += options.transfersPerCall) {
      const end = Math.min(inputs.length, first + options.transfersPerCall);
      const call: SpiTransfer[] = [];
      for (let index = first; index < end; index++) {
        call.push(transfer(inputs[index]!, this.rx, index, index === end - 1));
      }
      this.calls.push(call);
    }
  }
}

/**
 * The MCP3008 driver: reads batches in the reference's order (11 board readings, then CT and voltage
 * interleaved per sample and channel) with many conversions per bus call, and records when each read happened.
 * Within a call the bus clocks conversions back to back, so their instants are spread evenly between the clock
 * readings taken just before and just after the call.
 */
export class Mcp3008 {
  private plan: { key: string; plan: ReadPlan } | undefined;

  constructor(
    private readonly bus: AdcBus,
    private readonly options: Mcp3008Options,
  ) {
    if (!Number.isInteger(options.transfersPerCall) || options.transfersPerCall < 1) {
      throw new RangeError('transfersPerCall must be a whole number of 1 or more');
    }
  }

  private planFor(layout: BatchLayout): ReadPlan {
    const key = `${layout.channels.join(',')}/${layout.samples}`;
    if (this.plan?.key !== key) this.plan = { key, plan: new ReadPlan(layout, this.options) };
    return this.plan.plan;
  }

  async readBatch(layout: BatchLayout): Promise<RawBatch> {
    const plan = this.planFor(layout);
    const startedAt = Date.now();
    await this.bus.transfer(plan.boardCall);
    let boardSum = 0;
    for (let index = 0; index < BOARD_READS; index++) boardSum += conversionResult(plan.boardRx, 3 * index);

    const reads = new Uint16Array(plan.reads);
    const times = new Float64Array(plan.reads);
    const rx = plan.rx;
    const origin = this.bus.now();
    let after = origin;
    let index = 0;
    for (const call of plan.calls) {
      const before = this.bus.now();
      await this.bus.transfer(call);
      after = this.bus.now();
      const step = (after - before) / call.length;
      let time = before - origin + step / 2;
      for (let end = index + call.length; index < end; index++) {
        reads[index] = ((rx[3 * index + 1]! & 0x03) << 8) | rx[3 * index + 2]!;
        times[index] = time;
        time += step;
      }
    }
    return {
      channels: [...layout.channels],
      samples: layout.samples,
      reads,
      times,
      boardVoltage: boardVoltage(boardSum, BOARD_READS),
      startedAt,
      duration: after - origin,
    };
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
