import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AdcBus, SpiTransfer } from './adc-bus.js';
import { AdcFault } from './adc-bus.js';

type SpiDeviceModule = typeof import('spi-device');
type SpiDevice = import('spi-device').SpiDevice;

/** The device file of SPI bus `bus`, chip select `device`. */
export function spiDevicePath(bus: number, device: number): string {
  return `/dev/spidev${bus}.${device}`;
}

export function spiDeviceExists(bus: number, device: number): boolean {
  return existsSync(spiDevicePath(bus, device));
}

/** Loads the native module only when hardware is used, so a machine without it still runs the simulator. */
function loadSpiDevice(): SpiDeviceModule {
  const require = createRequire(import.meta.url);
  return require('spi-device') as SpiDeviceModule;
}

/** The real SPI bus through spi-device: every call is one SPI_IOC_MESSAGE ioctl with all its transfers. */
export class SpiDeviceBus implements AdcBus {
  private constructor(
    private readonly device: SpiDevice,
    readonly path: string,
  ) {}

  static async open(bus: number, device: number, speedHz: number): Promise<SpiDeviceBus> {
    const path = spiDevicePath(bus, device);
    let spi: SpiDeviceModule;
    try {
      spi = loadSpiDevice();
    } catch (error) {
      throw new AdcFault('open_failed', `cannot load the spi-device module: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new Promise((resolve, reject) => {
      const handle = spi.open(bus, device, { mode: 0, maxSpeedHz: speedHz }, (error) => {
        if (error) {
          reject(new AdcFault('open_failed', `cannot open ${path}: ${error.message}`, { cause: error }));
        } else resolve(new SpiDeviceBus(handle, path));
      });
    });
  }

  transfer(transfers: readonly SpiTransfer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.device.transfer(transfers as SpiTransfer[], (error) => {
        if (error) {
          reject(
            new AdcFault('transfer_failed', `SPI transfer on ${this.path} failed: ${error.message}`, {
              cause: error,
            }),
          );
        } else resolve();
      });
    });
  }

  now(): number {
    return Number(process.hrtime.bigint()) / 1e9;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.device.close(() => resolve()));
  }
}
