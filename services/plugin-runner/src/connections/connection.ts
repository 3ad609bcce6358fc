import type { RemoteInfo } from 'node:dgram';
import type { Socket } from 'node:net';
import { describeZodError } from '@wattbus/shared/contract/payload.js';
import { z } from 'zod';
import { activeRuntime, DEBUG } from '../domoticz/runtime.js';
import { type ByteStream, ConnectionState } from './connection-state.js';
import type { Codec } from './protocols/codec.js';
import { PROTOCOLS, type Protocol, protocolNeedsTls } from './protocols/index.js';
import { connectSerial, connectStream, listenStream, type TlsSettings } from './transports/stream.js';
import { decodeDatagram, ensureUdpSender, listenUdp } from './transports/udp.js';

export const TRANSPORTS = ['TCP/IP', 'TLS/IP', 'UDP/IP', 'Serial', 'ICMP/IP'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export type { Protocol } from './protocols/index.js';
export type { TlsSettings } from './transports/stream.js';

/** Where a Connection's callbacks go instead of the module functions (Domoticz's Target). */
export interface ConnectionTarget {
  onConnect?(connection: Connection, status: number, description: string): unknown;
  onMessage?(connection: Connection, data: unknown): unknown;
  onDisconnect?(connection: Connection): unknown;
  onTimeout?(connection: Connection): unknown;
}

const ConnectionInitSchema = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  transport: z.enum(TRANSPORTS, { message: `must be one of ${TRANSPORTS.join(', ')}` }),
  protocol: z.enum(PROTOCOLS, { message: `must be one of ${PROTOCOLS.join(', ')}` }).default('None'),
  address: z.string().default(''),
  port: z.union([z.string(), z.number().int()]).default('').transform(String),
  /** Serial only; default 115200. */
  baud: z.number().int().positive().optional(),
  /** TLS/IP and the S protocols: certificate checks; for Listen, the key and certificate. */
  tls: z
    .strictObject({
      rejectUnauthorized: z.boolean().optional(),
      ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
      servername: z.string().optional(),
      key: z.union([z.string(), z.instanceof(Buffer)]).optional(),
      cert: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    })
    .optional(),
});
export type ConnectionInit = z.input<typeof ConnectionInitSchema>;

export interface ConnectOptions {
  target?: object;
  /** Milliseconds to wait for the connection or for data before onTimeout: 0 (none) or at least 250. */
  timeout?: number;
}

type PositionalConnectionArgs = [
  name: string,
  transport: Transport,
  protocol?: Protocol,
  address?: string,
  port?: string | number,
  baud?: number,
];

function two(value: number): string {
  return String(value).padStart(2, '0');
}

function portNumber(port: string, what: string): number {
  const value = Number(port);
  if (port === '' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(
      `${what}: port must be a number 0-65535 (as a string, like Domoticz), got ${JSON.stringify(port)}`,
    );
  }
  return value;
}

/**
 * Domoticz's Connection: TCP, TLS, UDP or serial, with a protocol that splits what arrives into messages.
 * Connect and Listen return at once; results arrive as callbacks (onConnect, onMessage, onDisconnect, onTimeout)
 * on the callback queue, sent to the connection's target when set, else to the plugin's module functions.
 * Keep a reference to every Connection you use: one that is no longer referenced is closed, as in Domoticz.
 */
export class Connection {
  readonly name: string;
  readonly transport: Transport;
  readonly protocol: Protocol;
  address: string;
  port: string;
  /** Serial baud rate; -1 for other transports. */
  readonly baud: number;
  /** Where this connection's callbacks go; defaults to the plugin module. */
  target: object | undefined;
  readonly #tls: TlsSettings | undefined;
  readonly #state: ConnectionState;
  #parent: Connection | undefined;
  /** A UDP sender this connection stands for, when it was created by a UDP listener. */
  #peer: { address: string; port: number } | undefined;
  /** UDP senders seen by this listener, one Connection each. */
  readonly #peers = new Map<string, Connection>();
  #udpCodec: Codec | undefined;

  constructor(init: ConnectionInit);
  constructor(...args: PositionalConnectionArgs);
  constructor(...args: [ConnectionInit] | PositionalConnectionArgs) {
    const raw =
      typeof args[0] === 'object' && args[0] !== null
        ? args[0]
        : Object.fromEntries(
            Object.entries({
              name: args[0],
              transport: args[1],
              protocol: args[2],
              address: args[3],
              port: args[4],
              baud: args[5],
            }).filter(([, value]) => value !== undefined),
          );
    const parsed = ConnectionInitSchema.safeParse(raw);
    if (!parsed.success) throw new TypeError(`new Connection(): ${describeZodError(parsed.error)}`);
    const init = parsed.data;
    if (init.transport === 'ICMP/IP' || init.protocol === 'ICMP') {
      throw new TypeError(
        'new Connection(): ICMP needs raw sockets, which a plugin process does not have; it is not supported',
      );
    }
    this.name = init.name;
    this.transport = init.transport;
    this.protocol = init.protocol;
    this.address = init.address;
    this.port = init.port;
    this.baud = init.transport === 'Serial' ? (init.baud ?? 115200) : -1;
    this.#tls = init.tls;
    this.#state = new ConnectionState(activeRuntime('new Connection()'), this);
  }

  /** For a connection accepted by a listener: the listening Connection. */
  get parent(): Connection | undefined {
    return this.#parent;
  }

  /** True while a Connect is under way. */
  connecting(): boolean {
    return this.#state.connecting;
  }

  /** True while connected or listening. */
  connected(): boolean {
    return this.#state.connected || this.#state.listening;
  }

  /** Starts connecting and returns at once; onConnect reports the result (not for UDP). */
  connect(options: ConnectOptions = {}): void {
    const state = this.#state;
    const timeout = options.timeout ?? 0;
    if (!Number.isInteger(timeout) || timeout < 0 || (timeout > 0 && timeout < 250)) {
      throw new RangeError(
        `Connection.connect(): timeout must be 0 or at least 250 ms, got ${String(timeout)}`,
      );
    }
    if (options.target !== undefined) this.target = options.target;
    if (state.connecting || state.connected) {
      state.runtime.logger.warn(
        { connection: this.name },
        `connect() on ${this.name}, which is already connected or connecting`,
      );
      return;
    }
    state.timeoutMs = timeout;
    if (this.transport === 'UDP/IP') {
      void ensureUdpSender(state, this.address, (data, from) => this.#onUdp(data, from));
      return;
    }
    state.connecting = true;
    if (this.transport === 'Serial') {
      connectSerial(state, this.address, this.baud);
      return;
    }
    const tls =
      this.transport === 'TLS/IP' || protocolNeedsTls(this.protocol) ? (this.#tls ?? {}) : undefined;
    connectStream(state, {
      address: this.address || '127.0.0.1',
      port: portNumber(this.port, 'Connection.connect()'),
      tls,
    });
  }

  /**
   * Listens on `port` (TCP/IP, TLS/IP with tls.key and tls.cert, or UDP/IP). Each TCP client becomes a new
   * Connection with `parent` set, announced by onConnect; each UDP sender gets one too, seen in onMessage.
   * A failure to listen is reported by onConnect with a non-zero status.
   */
  listen(options: { target?: object } = {}): void {
    const state = this.#state;
    if (options.target !== undefined) this.target = options.target;
    const port = portNumber(this.port, 'Connection.listen()');
    if (this.transport === 'UDP/IP') {
      listenUdp(state, this.address, port, (data, from) => this.#onUdp(data, from));
      return;
    }
    if (this.transport === 'Serial')
      throw new TypeError('Connection.listen(): a serial port cannot listen; use connect()');
    const tls =
      this.transport === 'TLS/IP' || protocolNeedsTls(this.protocol) ? (this.#tls ?? {}) : undefined;
    listenStream(state, { address: this.address, port, tls }, (socket) => this.#accept(socket));
  }

  #accept(socket: Socket): void {
    const child = new Connection({
      name: `${this.name}:${socket.remoteAddress}:${socket.remotePort}`,
      transport: this.transport,
      protocol: this.protocol,
      address: socket.remoteAddress ?? '',
      port: String(socket.remotePort ?? ''),
    });
    child.#parent = this;
    child.target = this.target;
    // The listener keeps its clients alive until they disconnect, even when the plugin holds no reference.
    this.#state.children.add(child);
    const childState = child.#state;
    childState.parentState = this.#state;
    childState.attachStream(socket as ByteStream, 'server');
    childState.emit('onConnect', [0, 'Connected']);
  }

  #onUdp(data: Buffer, from: RemoteInfo): void {
    const state = this.#state;
    if (!state.listening) {
      this.#udpCodec ??= state.createCodec('client', () => {});
      state.bytes += data.length;
      state.lastSeen = new Date();
      state.dump('in', data, `${from.address}:${from.port}`);
      for (const message of decodeDatagram(this.#udpCodec, data)) state.emit('onMessage', [message]);
      return;
    }
    const key = `${from.address}:${from.port}`;
    let peer = this.#peers.get(key);
    if (!peer) {
      peer = new Connection({
        name: `${this.name}:${key}`,
        transport: 'UDP/IP',
        protocol: this.protocol,
        address: from.address,
        port: String(from.port),
      });
      peer.#parent = this;
      peer.#peer = { address: from.address, port: from.port };
      peer.target = this.target;
      peer.#state.connected = true;
      this.#peers.set(key, peer);
    }
    peer.#onUdp(data, from);
  }

  /** Sends a message now, or `delay` seconds later (other events run meanwhile, so delayed sends may reorder). */
  send(message: unknown, delay = 0): void {
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw new RangeError(`Connection.send(): delay must be a number of seconds >= 0, got ${String(delay)}`);
    }
    const state = this.#state;
    if (delay > 0) {
      const timer = setTimeout(() => {
        state.delayed.delete(timer);
        try {
          this.#sendNow(message);
        } catch (error) {
          state.runtime.logger.error(
            { connection: this.name, err: (error as Error).message },
            `delayed send on ${this.name} failed: ${(error as Error).message}`,
          );
        }
      }, delay * 1000);
      state.delayed.add(timer);
      return;
    }
    this.#sendNow(message);
  }

  #sendNow(message: unknown): void {
    const state = this.#state;
    if (this.transport === 'UDP/IP') {
      this.#sendDatagram(message);
      return;
    }
    if (!state.socket || !state.codec) {
      state.runtime.logger.error(
        { connection: this.name },
        `send() on ${this.name}, which is not connected; the message was dropped (wait for onConnect)`,
      );
      return;
    }
    state.write(state.codec.encode(message));
  }

  #sendDatagram(message: unknown): void {
    const state = this.#state;
    this.#udpCodec ??= state.createCodec('client', () => {});
    const bytes = this.#udpCodec.encode(message);
    const parentSocket = this.#parent ? this.#parent.#state.udp : undefined;
    const destination = this.#peer ?? {
      address: this.address,
      port: portNumber(this.port, 'Connection.send()'),
    };
    const deliver = (socket: NonNullable<ConnectionState['udp']>) => {
      state.dump('out', bytes, `${destination.address}:${destination.port}`);
      state.bytes += bytes.length;
      socket.send(bytes, destination.port, destination.address, (error) => {
        if (error)
          state.runtime.logger.error(
            { connection: this.name, err: error.message },
            `UDP send on ${this.name} failed: ${error.message}`,
          );
      });
    };
    if (this.#peer && parentSocket) deliver(parentSocket);
    else if (state.udp && state.listening) deliver(state.udp);
    else
      void ensureUdpSender(state, destination.address, (data, from) => this.#onUdp(data, from)).then(deliver);
  }

  /** Closes the connection (onDisconnect follows, except for UDP) or stops listening. Delayed sends are dropped. */
  disconnect(): void {
    const state = this.#state;
    state.runtime.trace(DEBUG.connections, { connection: this.name }, `disconnecting ${this.name}`);
    for (const timer of state.delayed) clearTimeout(timer);
    state.delayed.clear();
    if (state.connecting) {
      state.shutdown();
      return;
    }
    const socket = state.socket;
    if (socket) {
      const serial = socket as ByteStream & { isOpen?: boolean; close?: (callback?: () => void) => void };
      if (typeof serial.isOpen === 'boolean' && typeof serial.close === 'function') serial.close();
      else {
        socket.end();
        setTimeout(() => socket.destroy(), 2000).unref();
      }
    }
    if (state.server || state.udp) {
      state.server?.close();
      state.server = undefined;
      state.udp?.close();
      state.udp = undefined;
      state.listening = false;
      if (this.transport === 'UDP/IP') state.connected = false;
      state.runtime.connections.delete(state);
    }
    if (this.#peer) state.connected = false;
  }

  /** Domoticz's string form of a Connection. */
  toString(): string {
    const state = this.#state;
    const seen = state.lastSeen;
    const lastSeen = seen
      ? `${seen.getFullYear()}-${two(seen.getMonth() + 1)}-${two(seen.getDate())} ${two(seen.getHours())}:${two(seen.getMinutes())}:${two(seen.getSeconds())}`
      : 'None';
    return (
      `Name: '${this.name}', Transport: '${this.transport}', Protocol: '${this.protocol}', Address: '${this.address}', ` +
      `Port: '${this.port}', Baud: ${this.baud}, Timeout: ${state.timeoutMs}, Bytes: ${state.bytes}, ` +
      `Connected: ${this.connected() ? 'True' : 'False'}, Last Seen: ${lastSeen}, Parent: '${this.#parent?.name ?? 'None'}'`
    );
  }
}
