import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { tempDir } from '../../../../test/helpers/index.js';
import { RuntimeHarness, selfSignedCertificate } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';
import type { HttpResponse } from './protocols/http.js';
import type { WebSocketFrame } from './protocols/websocket.js';

let harness: RuntimeHarness;
const closers: (() => Promise<void>)[] = [];
const certificateDir = tempDir('wattbus-ws-tls-');
let certificate: ReturnType<typeof selfSignedCertificate>;

beforeAll(() => {
  certificate = selfSignedCertificate(certificateDir.path);
});
afterAll(() => certificateDir.remove());
afterEach(async () => {
  harness?.dispose();
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Peer {
  port: number;
  /** Headers of the upgrade request the server received. */
  upgrades: Record<string, string | string[] | undefined>[];
  received: (string | Buffer)[];
  clients: WebSocket[];
}

async function webSocketPeer(options: { deflate?: boolean; secure?: boolean } = {}): Promise<Peer> {
  const peer: Peer = { port: 0, upgrades: [], received: [], clients: [] };
  let https: HttpsServer | undefined;
  if (options.secure) {
    https = createHttpsServer({ key: certificate.key, cert: certificate.cert });
    await new Promise<void>((resolve) => https!.listen(0, '127.0.0.1', resolve));
  }
  const server = new WebSocketServer({
    ...(https ? { server: https } : { port: 0, host: '127.0.0.1' }),
    perMessageDeflate: options.deflate ? { threshold: 0 } : false,
  });
  if (!https) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket, request) => {
    peer.upgrades.push(request.headers);
    peer.clients.push(socket);
    socket.on('message', (data, isBinary) => {
      const message = isBinary ? Buffer.from(data as Buffer) : data.toString();
      peer.received.push(message);
      socket.send(typeof message === 'string' ? `echo ${message}` : message, { binary: isBinary });
    });
  });
  peer.port = ((https ?? server).address() as { port: number }).port;
  closers.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
    if (https) await new Promise((resolve) => https!.close(resolve));
  });
  return peer;
}

async function upgraded(peer: Peer, protocol: 'WS' | 'WSS'): Promise<Connection> {
  const connection = new Connection({
    name: 'Socket',
    transport: 'TCP/IP',
    protocol,
    address: '127.0.0.1',
    port: peer.port,
  });
  connection.connect();
  expect((await harness.waitFor('onConnect')).args[1]).toBe(0);
  connection.send({ url: '/live', headers: { Origin: 'http://127.0.0.1' } });
  const response = (await harness.waitFor('onMessage')).args[1] as HttpResponse;
  expect(response.status).toBe('101');
  return connection;
}

function frames(): WebSocketFrame[] {
  return harness.messages().slice(1) as WebSocketFrame[];
}

describe('WS protocol', () => {
  it('upgrades with the default headers, then exchanges masked text and binary frames', async () => {
    harness = new RuntimeHarness();
    const peer = await webSocketPeer();
    const connection = await upgraded(peer, 'WS');
    expect(peer.upgrades[0]).toMatchObject({
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'user-agent': 'Domoticz/1.0',
      accept: '*/*',
      'cache-control': 'no-cache',
      origin: 'http://127.0.0.1',
    });
    expect(peer.upgrades[0]!['sec-websocket-key']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    connection.send({ payload: 'Text message', mask: 0x12345678 });
    connection.send({ payload: Buffer.from([1, 2, 3]) });
    await harness.waitFor('onMessage', () => frames().length >= 2);
    expect(peer.received).toEqual(['Text message', Buffer.from([1, 2, 3])]);
    expect(frames()).toEqual([
      { payload: 'echo Text message', finish: true },
      { payload: Buffer.from([1, 2, 3]), finish: true },
    ]);
  });

  it('passes Ping to the plugin, which answers with Pong, and sends fragmented messages', async () => {
    harness = new RuntimeHarness();
    const peer = await webSocketPeer();
    harness.on('onMessage', (connection, data) => {
      const frame = data as WebSocketFrame;
      if (frame.operation === 'Ping')
        (connection as Connection).send({ operation: 'Pong', payload: frame.payload });
    });
    const connection = await upgraded(peer, 'WS');
    const pong = new Promise<Buffer>((resolve) => peer.clients[0]!.once('pong', resolve));
    peer.clients[0]!.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
    expect(frames()[0]).toMatchObject({ operation: 'Ping', finish: true });
    connection.send({ payload: 'frag', finish: false });
    connection.send({ payload: 'mented' });
    await harness.waitFor('onMessage', () => frames().some((frame) => frame.payload === 'echo fragmented'));
  });

  it('refuses a data frame before the upgrade', async () => {
    harness = new RuntimeHarness();
    const peer = await webSocketPeer();
    const connection = new Connection({
      name: 'Early',
      transport: 'TCP/IP',
      protocol: 'WS',
      address: '127.0.0.1',
      port: peer.port,
    });
    connection.connect();
    await harness.waitFor('onConnect');
    expect(() => connection.send({ payload: 'too early' })).toThrow(/not upgraded yet/);
  });

  it('inflates permessage-deflate messages, with context takeover across messages', async () => {
    harness = new RuntimeHarness();
    const peer = await webSocketPeer({ deflate: true });
    const connection = await upgraded(peer, 'WS');
    expect(peer.clients[0]!.extensions).toBe('permessage-deflate');
    const text = 'the same words again and again, the same words again and again';
    connection.send({ payload: text });
    connection.send({ payload: text });
    connection.send({ payload: `${text}!` });
    await harness.waitFor('onMessage', () => frames().length >= 3);
    expect(frames().map((frame) => frame.payload)).toEqual([`echo ${text}`, `echo ${text}`, `echo ${text}!`]);
  });

  it('WSS: the same over TLS', async () => {
    harness = new RuntimeHarness();
    const peer = await webSocketPeer({ secure: true });
    const connection = await upgraded(peer, 'WSS');
    connection.send({ payload: 'secret' });
    await harness.waitFor('onMessage', () => frames().length >= 1);
    expect(frames()[0]).toEqual({ payload: 'echo secret', finish: true });
  });
});
