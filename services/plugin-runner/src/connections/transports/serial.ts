import type { Duplex } from 'node:stream';

/** What the framework needs of a serial port (serialport's SerialPort is one). */
export type SerialPortLike = Duplex & {
  open(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  readonly isOpen: boolean;
};

export type SerialPortFactory = (path: string, baudRate: number) => Promise<SerialPortLike>;

/** The real ports, through the `serialport` package; loaded only when a plugin opens a serial connection. */
const systemPorts: SerialPortFactory = async (path, baudRate) => {
  const { SerialPort } = await import('serialport');
  return new SerialPort({ path, baudRate, autoOpen: false }) as unknown as SerialPortLike;
};

let factory: SerialPortFactory = systemPorts;

export function openSerialPort(path: string, baudRate: number): Promise<SerialPortLike> {
  return factory(path, baudRate);
}

/**
 * Replaces how serial ports are opened, e.g. with serialport's mock binding in tests (serial ports are hardware).
 * Returns a function that restores the real ports.
 */
export function useSerialPorts(replacement: SerialPortFactory): () => void {
  factory = replacement;
  return () => {
    factory = systemPorts;
  };
}
