/** One full-duplex SPI transfer, as spi-device's `transfer` takes it. */
export interface SpiTransfer {
  byteLength: number;
  sendBuffer: Buffer;
  receiveBuffer: Buffer;
  speedHz?: number;
  /** Deselect the chip after this transfer (every conversion but the last of a call, for the MCP3008). */
  chipSelectChange?: boolean;
}

/**
 * The SPI bus an ADC sits on. `transfer` runs many transfers in one call (one system call on Linux spidev), so
 * reads are fast and evenly spaced. The real bus is spi-device; `Mcp3008Emulator` answers the same protocol from
 * synthetic waveforms.
 */
export interface AdcBus {
  /** Runs the transfers in order, filling each receive buffer. Rejects on a bus error. */
  transfer(transfers: readonly SpiTransfer[]): Promise<void>;
  /** Seconds on the bus's monotonic clock; read around every transfer call to time the reads. */
  now(): number;
  close(): Promise<void>;
}

/** An ADC error worth a fault event: the device cannot be opened, a transfer failed, or the signal is unusable. */
export class AdcFault extends Error {
  constructor(
    readonly kind: 'open_failed' | 'transfer_failed' | 'flat_voltage' | 'source_ended',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdcFault';
  }
}
