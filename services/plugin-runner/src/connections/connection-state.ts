import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEBUG, type DomoticzRuntime } from '../domoticz/runtime.js';
import type { Codec, CodecContext } from './protocols/codec.js';
import { createCodec, type Protocol } from './protocols/index.js';

/** The callbacks a Connection's events go to: its target, else the plugin module. */
export type ConnectionEvent = 'onConnect' | 'onMessage' | 'onDisconnect' | 'onTimeout';

/** What the state needs of its Connection, without holding it strongly. */
export interface ConnectionHandle {
  readonly name: string;
  readonly protocol: Protocol;
  address: string;
  port: string;
  target: object | undefined;
}

/** A stream the framework writes to and reads from: a TCP or TLS socket, or a serial port. */
export type ByteStream = Duplex & { destroy(error?: Error): unknown };

const finalizer = new FinalizationRegistry<ConnectionState>((state) => {
  state.runtime.trace(
    DEBUG.connections,
    { connection: state.name },
    `connection ${state.name} is no longer referenced; closing it`,
  );
  state.shutdown();
});

/**
 * The working half of a Connection: sockets, codec, timers. It holds its Connection only weakly, so a Connection
 * the plugin no longer references is garbage-collected and its sockets closed, as Domoticz does.
 */
export class ConnectionState {
  private readonly ref: WeakRef<ConnectionHandle>;
  readonly name: string;
  socket: ByteStream | undefined;
  server: Server | undefined;
  udp: UdpSocket | undefined;
  codec: Codec | undefined;
  connecting = false;
  connected = false;
  listening = false;
  /** Milliseconds without data before onTimeout; 0 for none. */
  timeoutMs = 0;
  private dataTimer: NodeJS.Timeout | undefined;
  connectTimer: NodeJS.Timeout | undefined;
  readonly delayed = new Set<NodeJS.Timeout>();
  /** Connections accepted by a listener, kept alive until they disconnect. */
  readonly children = new Set<ConnectionHandle>();
  bytes = 0;
  lastSeen: Date | undefined;

  /** The listener this connection was accepted by. */
  parentState: ConnectionState | undefined;

  constructor(
    readonly runtime: DomoticzRuntime,
    connection: ConnectionHandle,
  ) {
    this.ref = new WeakRef(connection);
    this.name = connection.name;
    finalizer.register(connection, this);
  }

  get connection(): ConnectionHandle | undefined {
    return this.ref.deref();
  }

  /** Queues one of the connection callbacks on the plugin's callback queue. */
  emit(event: ConnectionEvent, args: unknown[] = []): void {
    const connection = this.connection;
    if (!connection) return;
    const target = connection.target ?? this.runtime.exports;
    this.runtime.trace(DEBUG.connections, { connection: this.name, event }, `${event} for ${this.name}`);
    this.runtime.queueCallback(event, target, [connection, ...args]);
  }

  codecContext(role: CodecContext['role'], write: (bytes: Buffer) => void): CodecContext {
    const connection = this.connection;
    return {
      role,
      address: connection?.address ?? '',
      port: connection?.port ?? '',
      username: this.runtime.parameters?.username ?? '',
      password: this.runtime.parameters?.password ?? '',
      write,
    };
  }

  createCodec(role: CodecContext['role'], write: (bytes: Buffer) => void): Codec {
    return createCodec(this.connection?.protocol ?? 'None', this.codecContext(role, write));
  }

  /** Logs traffic when the Debugging mask asks for it (64). */
  dump(direction: 'in' | 'out', bytes: Buffer, peer?: string): void {
    if (!(this.runtime.debugMask & (DEBUG.traffic | DEBUG.all))) return;
    const shown = bytes.subarray(0, 256);
    this.runtime.logger.debug(
      {
        connection: this.name,
        direction,
        bytes: bytes.length,
        peer,
        hex: shown.toString('hex'),
        text: shown.toString('latin1'),
      },
      `${direction === 'in' ? 'received' : 'sent'} ${bytes.length} bytes on ${this.name}`,
    );
  }

  /** Passes received bytes through the protocol and queues onMessage for each complete message. */
  received(chunk: Buffer, codec: Codec, onError: (error: Error) => void): void {
    this.bytes += chunk.length;
    this.lastSeen = new Date();
    this.dump('in', chunk);
    this.armDataTimeout();
    let messages: unknown[];
    try {
      messages = codec.decode(chunk);
    } catch (error) {
      onError(error as Error);
      return;
    }
    for (const message of messages) this.emit('onMessage', [message]);
  }

  /** Binds an open stream: data through the codec to onMessage, close to onDisconnect. */
  attachStream(socket: ByteStream, role: CodecContext['role']): void {
    this.socket = socket;
    this.connected = true;
    this.connecting = false;
    this.runtime.connections.add(this);
    const codec = this.createCodec(role, (bytes) => this.write(bytes));
    this.codec = codec;
    socket.on('data', (chunk: Buffer) =>
      this.received(chunk, codec, (error) => {
        this.runtime.logger.error(
          { connection: this.name, err: error.message },
          `${this.connection?.protocol ?? ''} protocol error on ${this.name}: ${error.message}; closing the connection`,
        );
        socket.destroy();
      }),
    );
    socket.on('error', (error: Error) =>
      this.runtime.trace(
        DEBUG.connections,
        { connection: this.name, err: error.message },
        `${this.name}: ${error.message}`,
      ),
    );
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.clearTimers();
      this.runtime.connections.delete(this);
      for (const message of codec.end?.() ?? []) this.emit('onMessage', [message]);
      this.emit('onDisconnect');
      const connection = this.connection;
      if (connection) this.parentState?.children.delete(connection);
    });
    this.armDataTimeout();
  }

  write(bytes: Buffer, peer?: { address: string; port: number }): void {
    this.dump('out', bytes, peer ? `${peer.address}:${peer.port}` : undefined);
    this.bytes += bytes.length;
    this.socket?.write(bytes);
  }

  armDataTimeout(): void {
    clearTimeout(this.dataTimer);
    if (this.timeoutMs <= 0 || !this.connected) return;
    this.dataTimer = setTimeout(() => {
      this.emit('onTimeout');
      this.armDataTimeout();
    }, this.timeoutMs);
  }

  clearTimers(): void {
    clearTimeout(this.dataTimer);
    clearTimeout(this.connectTimer);
    this.dataTimer = undefined;
    this.connectTimer = undefined;
  }

  /** Closes everything at once, with no callbacks: the plugin stopped or dropped the Connection. */
  shutdown(): void {
    this.clearTimers();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.connecting = false;
    this.connected = false;
    this.listening = false;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.server?.close();
    this.server = undefined;
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.udp = undefined;
    this.runtime.connections.delete(this);
  }
}
