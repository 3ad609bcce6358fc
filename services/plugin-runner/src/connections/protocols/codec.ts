/**
 * A Connection's protocol: how bytes from the transport become the messages passed to onMessage, and how the
 * messages a plugin sends become bytes. Protocol names and message shapes follow Domoticz's plugin framework.
 */
export interface Codec {
  /** Bytes in; every complete message out (in order). */
  decode(chunk: Buffer): unknown[];
  /** A message from `send()`; throws a TypeError naming what is wrong with it. */
  encode(message: unknown): Buffer;
  /** The transport closed: any message that ends with the stream (an HTTP body read until close). */
  end?(): unknown[];
}

export interface CodecContext {
  /** `client` for Connect(), `server` for connections accepted by Listen(). */
  role: 'client' | 'server';
  address: string;
  port: string;
  /** From Parameters, for HTTP's automatic Basic authorisation. */
  username: string;
  password: string;
  /** Bytes the protocol itself must answer with (MQTT acknowledgements). */
  write(bytes: Buffer): void;
}

/** Bytes from a plugin's message: a string (UTF-8), a Buffer or any Uint8Array. */
export function toBytes(value: unknown, what: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  throw new TypeError(`${what} must be a string, a Buffer or a Uint8Array, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** Largest message a framing protocol buffers before it gives up on the stream (a peer sending garbage). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
