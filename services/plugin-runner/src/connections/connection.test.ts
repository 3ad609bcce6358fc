import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeHarness } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';

let harness: RuntimeHarness;
const servers: Server[] = [];

afterEach(async () => {
  harness?.dispose();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP peer on a free port; `sockets` are the clients it accepted. */
async function tcpPeer(
  onSocket: (socket: Socket) => void = () => {},
): Promise<{ port: number; sockets: Socket[]; received: () => string }> {
  const sockets: Socket[] = [];
  const chunks: Buffer[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, sockets, received: () => Buffer.concat(chunks).toString() };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Connection over TCP/IP', () => {
  it('connects (onConnect status 0), sends, receives raw bytes with protocol None, and reports the disconnect', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer((socket) => socket.write('hello plugin'));
    const connection = new Connection({
      name: 'Device',
      transport: 'TCP/IP',
      protocol: 'None',
      address: '127.0.0.1',
      port: String(peer.port),
    });
    expect(connection.connected()).toBe(false);
    connection.connect();
    expect(connection.connecting()).toBe(true);
    const connected = await harness.waitFor('onConnect');
    expect(connected.args).toEqual([connection, 0, 'Connected']);
    expect(connection.connected()).toBe(true);
    const message = await harness.waitFor('onMessage');
    expect(Buffer.isBuffer(message.args[1])).toBe(true);
    expect((message.args[1] as Buffer).toString()).toBe('hello plugin');
    connection.send('hello device');
    connection.send(Buffer.from([0x01, 0x02]));
    await until(() => peer.received() === 'hello device\u0001\u0002');
    peer.sockets[0]!.end();
    await harness.waitFor('onDisconnect');
    expect(connection.connected()).toBe(false);
  });

  it('reports a refused connection through onConnect with the errno and a description', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const connection = new Connection('Nobody', 'TCP/IP', 'None', '127.0.0.1', peer.port);
    connection.connect();
    const call = await harness.waitFor('onConnect');
    expect(call.args[1]).toBe(111);
    expect(call.args[2]).toMatch(/ECONNREFUSED/);
    expect(connection.connecting()).toBe(false);
  });

  it('tries every address a name resolves to until one answers', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer();
    const connection = new Connection({
      name: 'ByName',
      transport: 'TCP/IP',
      address: 'localhost',
      port: peer.port,
    });
    connection.connect();
    expect((await harness.waitFor('onConnect')).args[1]).toBe(0);
  });

  it('queues onTimeout when no data arrives within the timeout, and rejects timeouts between 1 and 249 ms', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer();
    const connection = new Connection({
      name: 'Quiet',
      transport: 'TCP/IP',
      address: '127.0.0.1',
      port: peer.port,
    });
    expect(() => connection.connect({ timeout: 100 })).toThrow(/0 or at least 250/);
    const started = Date.now();
    connection.connect({ timeout: 300 });
    await harness.waitFor('onConnect');
    await harness.waitFor('onTimeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(connection.connected()).toBe(true);
  });

  it('sends events to the target instead of the module functions', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer((socket) => socket.write('for the target'));
    const seen: string[] = [];
    const target = {
      onConnect(_connection: Connection, status: number) {
        seen.push(`connect ${status}`);
      },
      onMessage(_connection: Connection, data: Buffer) {
        seen.push(`message ${data.toString()}`);
      },
    };
    const connection = new Connection({
      name: 'Targeted',
      transport: 'TCP/IP',
      address: '127.0.0.1',
      port: peer.port,
    });
    connection.connect({ target });
    await until(() => seen.length === 2);
    expect(seen).toEqual(['connect 0', 'message for the target']);
    expect(harness.calls.filter((call) => call.name === 'onConnect' || call.name === 'onMessage')).toEqual(
      [],
    );
  });

  it('sends a delayed message later, so it arrives after one sent afterwards', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer();
    const connection = new Connection({
      name: 'Delays',
      transport: 'TCP/IP',
      address: '127.0.0.1',
      port: peer.port,
    });
    connection.connect();
    await harness.waitFor('onConnect');
    connection.send('first;', 0.3);
    connection.send('second;');
    await until(() => peer.received() === 'second;first;');
  });

  it('listens: each client is a Connection with Parent set and its own onConnect; Disconnect stops listening', async () => {
    harness = new RuntimeHarness();
    const probe = await tcpPeer();
    const port = probe.port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const listener = new Connection({
      name: 'Server',
      transport: 'TCP/IP',
      protocol: 'Line',
      address: '127.0.0.1',
      port,
    });
    listener.listen();
    await until(() => listener.connected());
    harness.on('onMessage', (connection, data) =>
      (connection as Connection).send(`echo ${(data as Buffer).toString()}\n`),
    );
    const client = netConnect(port, '127.0.0.1');
    const replies: string[] = [];
    client.on('data', (chunk) => replies.push(chunk.toString()));
    const accepted = await harness.waitFor('onConnect');
    const child = accepted.args[0] as Connection;
    expect(accepted.args.slice(1)).toEqual([0, 'Connected']);
    expect(child.parent).toBe(listener);
    expect(child.name).toMatch(/^Server:127\.0\.0\.1:\d+$/);
    expect(child.toString()).toContain("Parent: 'Server'");
    client.write('ping\n');
    await until(() => replies.join('') === 'echo ping\n');
    listener.disconnect();
    expect(listener.connected()).toBe(false);
    await new Promise<void>((resolve, reject) => {
      const late = netConnect(port, '127.0.0.1');
      late.once('error', () => resolve());
      late.once('connect', () => reject(new Error('still listening after disconnect()')));
    });
    client.end();
    await harness.waitFor('onDisconnect', (call) => call.args[0] === child);
  });

  it('reports a failed Listen through onConnect', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer();
    const listener = new Connection({
      name: 'Busy',
      transport: 'TCP/IP',
      address: '127.0.0.1',
      port: peer.port,
    });
    listener.listen();
    const call = await harness.waitFor('onConnect');
    expect(call.args[1]).not.toBe(0);
    expect(call.args[2]).toMatch(/EADDRINUSE/);
  });

  it('dumps the traffic when the Debugging mask has 64 set', async () => {
    harness = new RuntimeHarness();
    const peer = await tcpPeer((socket) => socket.write('pong'));
    harness.runtime.setDebugMask(64);
    // After the mask: changing the level replaces pino's level methods.
    const debug = vi.spyOn(harness.runtime.logger, 'debug').mockImplementation(() => {});
    const connection = new Connection({
      name: 'Dumped',
      transport: 'TCP/IP',
      address: '127.0.0.1',
      port: peer.port,
    });
    connection.connect();
    await harness.waitFor('onMessage');
    connection.send('ping');
    await until(() => peer.received() === 'ping');
    const dumps = debug.mock.calls.map(
      (call) => call[0] as { direction?: string; hex?: string; text?: string },
    );
    expect(dumps).toContainEqual(
      expect.objectContaining({ direction: 'in', hex: Buffer.from('pong').toString('hex'), text: 'pong' }),
    );
    expect(dumps).toContainEqual(expect.objectContaining({ direction: 'out', text: 'ping' }));
  });

  it('has the Domoticz string form', async () => {
    harness = new RuntimeHarness();
    const connection = new Connection('Heating', 'TCP/IP', 'None', '10.0.0.2', '27847');
    expect(connection.toString()).toBe(
      "Name: 'Heating', Transport: 'TCP/IP', Protocol: 'None', Address: '10.0.0.2', Port: '27847', Baud: -1, Timeout: 0, Bytes: 0, Connected: False, Last Seen: None, Parent: 'None'",
    );
  });

  it('rejects bad constructor arguments with a clear error', () => {
    harness = new RuntimeHarness();
    expect(() => new Connection({ name: 'x', transport: 'Carrier pigeon' as never })).toThrow(
      /transport: must be one of TCP\/IP/,
    );
    expect(() => new Connection({ name: 'x', transport: 'TCP/IP', protocol: 'Telnet' as never })).toThrow(
      /protocol: must be one of/,
    );
    expect(() => new Connection({ name: 'x', transport: 'ICMP/IP' })).toThrow(/ICMP needs raw sockets/);
    expect(() => new Connection({ name: 'x', transport: 'TCP/IP', port: 'http' }).connect()).toThrow(
      /port must be a number/,
    );
  });

  it('closes a connection the plugin no longer references', async () => {
    harness = new RuntimeHarness();
    let closed = false;
    const peer = await tcpPeer((socket) => socket.on('close', () => (closed = true)));
    (() => {
      new Connection({
        name: 'Forgotten',
        transport: 'TCP/IP',
        address: '127.0.0.1',
        port: peer.port,
      }).connect();
    })();
    await harness.waitFor('onConnect');
    harness.calls.length = 0;
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let attempt = 0; attempt < 50 && !closed; attempt++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(closed).toBe(true);
  });
});
