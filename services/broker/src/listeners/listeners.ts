import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { BrokerSection } from '@wattbus/shared';
import { ConfigError } from '@wattbus/shared/config/errors.js';
import type { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { autoCork } from './auto-cork.js';
import { noDelay } from './no-delay.js';

export type ListenerName = 'mqtt' | 'websocket' | 'tls';

export interface Listener {
  name: ListenerName;
  host: string;
  port: number;
  /** Stops accepting connections; resolves once the server has closed. */
  close(): Promise<void>;
}

/** Decides whether a new connection from `address` may proceed (the connect-rate limit). */
export type Admit = (address: string | undefined, listener: ListenerName) => boolean;

/** Binds a server, turning "address in use" and friends into a message that names the setting. */
export async function listen(server: Server | HttpServer, host: string, port: number, setting: string) {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is in use (is another broker running?)'
          : error.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : error.code === 'EADDRNOTAVAIL'
              ? 'this machine has no such address'
              : error.message;
      reject(new ConfigError([`[broker] ${setting} = ${port} on ${host}: cannot listen: ${why}`]));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

function closer(server: Server | HttpServer): () => Promise<void> {
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Starts every listener whose port is not 0: MQTT over TCP, over WebSocket (browser dashboards) and over TLS (when
 * a certificate and key are configured). All feed the same aedes instance.
 */
export async function startListeners(
  aedes: Aedes,
  settings: BrokerSection,
  admit: Admit,
): Promise<Listener[]> {
  const listeners: Listener[] = [];
  try {
    if (settings.port !== 0) listeners.push(await startTcp(aedes, settings, admit));
    if (settings.websocket_port !== 0) listeners.push(await startWebSocket(aedes, settings, admit));
    if (settings.tls_port !== 0 && settings.tls_cert_file && settings.tls_key_file) {
      listeners.push(await startTls(aedes, settings, admit));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
  return listeners;
}

async function startTcp(aedes: Aedes, settings: BrokerSection, admit: Admit): Promise<Listener> {
  const server = createTcpServer((socket: Socket) => {
    if (!admit(socket.remoteAddress, 'mqtt')) {
      socket.destroy();
      return;
    }
    aedes.handle(autoCork(noDelay(socket)));
  });
  const port = await listen(server, settings.host, settings.port, 'port');
  return { name: 'mqtt', host: settings.host, port, close: closer(server) };
}

async function startWebSocket(aedes: Aedes, settings: BrokerSection, admit: Admit): Promise<Listener> {
  const host = settings.websocket_host || settings.host;
  const server = createHttpServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end(`MQTT over WebSocket: connect to ws://<host>:<port>${settings.websocket_path}\n`);
  });
  // A frame may carry a whole MQTT packet plus WebSocket framing; larger frames are refused by ws itself.
  const maxPayload = settings.max_packet_size > 0 ? settings.max_packet_size + 16 : 256 * 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (request.url ?? '/').split('?')[0];
    if (path !== settings.websocket_path) {
      socket.end(
        `HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nMQTT is at ${settings.websocket_path}\n`,
      );
      return;
    }
    // Checked before the handshake, so a flood of upgrades costs as little as possible.
    if (!admit(request.socket.remoteAddress, 'websocket')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (websocket) => {
      aedes.handle(createWebSocketStream(websocket), request);
    });
  });
  const port = await listen(server, host, settings.websocket_port, 'websocket_port');
  return {
    name: 'websocket',
    host,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closer(server)();
    },
  };
}

async function startTls(aedes: Aedes, settings: BrokerSection, admit: Admit): Promise<Listener> {
  const host = settings.tls_host || settings.host;
  const read = (path: string, key: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError([`[broker] ${key} = ${JSON.stringify(path)}: ${(error as Error).message}`]);
    }
  };
  let server: Server;
  try {
    server = createTlsServer(
      {
        cert: read(settings.tls_cert_file, 'tls_cert_file'),
        key: read(settings.tls_key_file, 'tls_key_file'),
      },
      (socket) => aedes.handle(autoCork(noDelay(socket))),
    );
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([
      `[broker] tls_cert_file / tls_key_file: not a usable PEM certificate and key: ${(error as Error).message}`,
    ]);
  }
  // Checked on the raw TCP connection, before the costly handshake.
  server.on('connection', (socket: Socket) => {
    if (!admit(socket.remoteAddress, 'tls')) socket.destroy();
  });
  // A failed handshake (plain MQTT sent to the TLS port, a port scanner) only closes that socket.
  server.on('tlsClientError', () => {});
  const port = await listen(server, host, settings.tls_port, 'tls_port');
  return { name: 'tls', host, port, close: closer(server) };
}
