import { AdcFault } from '../adc/adc-bus.js';
import { type BatchLayout, Mcp3008 } from '../adc/mcp3008.js';
import { SpiDeviceBus, spiDevicePath } from '../adc/spi-device-bus.js';
import type { RawBatch } from '../raw-batch.js';
import type { BatchSource } from './batch-source.js';

export interface Mcp3008SourceOptions {
  bus: number;
  device: number;
  speedHz: number;
  transfersPerCall: number;
}

/** The real board: an MCP3008 on spidev. */
export class Mcp3008Source implements BatchSource {
  readonly kind = 'mcp3008';
  readonly description: string;
  private adc: Mcp3008 | undefined;

  constructor(private readonly options: Mcp3008SourceOptions) {
    this.description = spiDevicePath(options.bus, options.device);
  }

  async open(): Promise<void> {
    const bus = await SpiDeviceBus.open(this.options.bus, this.options.device, this.options.speedHz);
    this.adc = new Mcp3008(bus, this.options);
  }

  async read(layout: BatchLayout): Promise<RawBatch> {
    if (!this.adc) throw new AdcFault('open_failed', `${this.description} is not open`);
    try {
      return await this.adc.readBatch(layout);
    } catch (error) {
      if (error instanceof AdcFault) throw error;
      throw new AdcFault(
        'transfer_failed',
        `reading ${this.description} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async close(): Promise<void> {
    const adc = this.adc;
    this.adc = undefined;
    await adc?.close();
  }
}
