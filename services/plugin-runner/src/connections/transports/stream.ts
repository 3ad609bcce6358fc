import type { Server, Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { DEBUG } from '../../domoticz/runtime.js';
import { builtins } from '../builtins.js';
import type { ByteStream, ConnectionState } from '../connection-state.js';
import { openSerialPort } from './serial.js';

export interface TlsSettings {
  /** Verify the peer's certificate. Off by default, as in Domoticz: devices on a LAN mostly use self-signed ones. */
  rejectUnauthorized?: boolean;
  ca?: string | Buffer;
  servername?: string;
  /** Listen on TLS/IP: the server's key and certificate (PEM). */
  key?: string | Buffer;
  cert?: string | Buffer;
}

export interface StreamEndpoint {
  address: string;
  port: number;
  tls: TlsSettings | undefined;
}

/** A status number for onConnect: the OS errno when there is one (ECONNREFUSED is 111 on Linux), else 1. */
export function statusOf(error: NodeJS.ErrnoException): number {
  const code = error.code ? (osConstants.errno as Record<string, number>)[error.code] : undefined;
  return code ?? 1;
}

/**
 * Connects to every address the name resolves to, in order, until one accepts; the outcome arrives as onConnect.
 * With a timeout, an attempt still pending when it expires is abandoned and onTimeout is queued.
 */
export function connectStream(state: ConnectionState, endpoint: StreamEndpoint): void {
  let current: Socket | TLSSocket | undefined;
  let settled = false;
  const fail = (error: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    clearTimeout(state.connectTimer);
    state.connecting = false;
    state.emit('onConnect', [statusOf(error), `${error.code ?? 'error'}: ${error.message}`]);
  };
  if (state.timeoutMs > 0) {
    state.connectTimer = setTimeout(() => {
      if (settled) return;
      settled = true;
      state.connecting = false;
      current?.destroy();
      state.emit('onTimeout');
    }, state.timeoutMs);
  }
  builtins.dns.lookup(endpoint.address, { all: true }, (error, addresses) => {
    if (settled) return;
    if (error) {
      fail(error);
      return;
    }
    const tryAddress = (index: number, lastError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      const next = addresses[index];
      if (!next) {
        fail(lastError ?? Object.assign(new Error('no address to connect to'), { code: 'ENOTFOUND' }));
        return;
      }
      state.runtime.trace(
        DEBUG.connections,
        { connection: state.name, address: next.address },
        `connecting ${state.name}`,
      );
      const socket = endpoint.tls
        ? builtins.tls.connect({
            host: next.address,
            port: endpoint.port,
            servername:
              endpoint.tls.servername ?? (/^[\d.:]+$/.test(endpoint.address) ? undefined : endpoint.address),
            rejectUnauthorized: endpoint.tls.rejectUnauthorized ?? false,
            ca: endpoint.tls.ca,
          })
        : builtins.net.connect({ host: next.address, port: endpoint.port });
      current = socket;
      const onError = (socketError: NodeJS.ErrnoException) => {
        socket.destroy();
        tryAddress(index + 1, socketError);
      };
      socket.once('error', onError);
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        if (settled) {
          socket.destroy();
          return;
        }
        settled = true;
        clearTimeout(state.connectTimer);
        socket.off('error', onError);
        state.attachStream(socket, 'client');
        state.emit('onConnect', [0, 'Connected']);
      });
    };
    tryAddress(0);
  });
}

export function connectSerial(state: ConnectionState, path: string, baud: number): void {
  openSerialPort(path, baud).then(
    (port) => {
      port.open((error) => {
        if (error) {
          state.connecting = false;
          state.emit('onConnect', [statusOf(error as NodeJS.ErrnoException), error.message]);
          return;
        }
        state.attachStream(port as ByteStream, 'client');
        state.emit('onConnect', [0, 'Connected']);
      });
    },
    (error: Error) => {
      state.connecting = false;
      state.emit('onConnect', [1, `cannot open serial port ${path}: ${error.message}`]);
    },
  );
}

/** Accepts TCP (or TLS) clients; each becomes a Connection with its Parent set, announced by onConnect. */
export function listenStream(
  state: ConnectionState,
  endpoint: { address: string; port: number; tls: TlsSettings | undefined },
  accept: (socket: Socket) => void,
): void {
  let server: Server;
  if (endpoint.tls) {
    if (!endpoint.tls.key || !endpoint.tls.cert) {
      state.emit('onConnect', [1, 'Listen on TLS needs tls.key and tls.cert']);
      return;
    }
    server = builtins.tls.createServer({ key: endpoint.tls.key, cert: endpoint.tls.cert }, accept);
  } else server = builtins.net.createServer(accept);
  state.server = server;
  server.once('error', (error: NodeJS.ErrnoException) => {
    state.listening = false;
    state.server = undefined;
    state.runtime.connections.delete(state);
    state.emit('onConnect', [statusOf(error), `cannot listen on port ${endpoint.port}: ${error.message}`]);
  });
  server.listen({ port: endpoint.port, host: endpoint.address || undefined }, () => {
    state.listening = true;
    state.runtime.connections.add(state);
    state.runtime.trace(
      DEBUG.connections,
      { connection: state.name, port: endpoint.port },
      `${state.name} listening`,
    );
  });
}
