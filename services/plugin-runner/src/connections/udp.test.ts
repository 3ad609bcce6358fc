import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/helpers/index.js';
import { RuntimeHarness } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';

let harness: RuntimeHarness;
const sockets: Socket[] = [];

afterEach(() => {
  harness?.dispose();
  for (const socket of sockets.splice(0)) socket.close();
});

/** A plain UDP socket for the other side; `received` collects what reaches it. */
async function udpPeer(
  port = 0,
  address = '127.0.0.1',
): Promise<{ socket: Socket; port: number; received: { text: string; from: RemoteInfo }[] }> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(socket);
  const received: { text: string; from: RemoteInfo }[] = [];
  socket.on('message', (data, from) => received.push({ text: data.toString(), from }));
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  return { socket, port: socket.address().port, received };
}

function send(socket: Socket, text: string, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(text, port, address, (error) => (error ? reject(error) : resolve())),
  );
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('UDP/IP', () => {
  it('listens (unicast): each sender is a Connection with Parent set, which replies to it; no onConnect or onDisconnect', async () => {
    harness = new RuntimeHarness();
    const port = await freePort();
    const listener = new Connection({
      name: 'Discovery',
      transport: 'UDP/IP',
      address: '127.0.0.1',
      port: String(port),
    });
    harness.on('onMessage', (connection) => (connection as Connection).send('I am here'));
    listener.listen();
    await until(() => listener.connected());
    const device = await udpPeer();
    await send(device.socket, 'who is there?', port, '127.0.0.1');
    const call = await harness.waitFor('onMessage');
    const sender = call.args[0] as Connection;
    expect((call.args[1] as Buffer).toString()).toBe('who is there?');
    expect(sender.parent).toBe(listener);
    expect(sender.address).toBe('127.0.0.1');
    expect(sender.port).toBe(String(device.port));
    await until(() => device.received.length === 1);
    expect(device.received[0]!.text).toBe('I am here');
    expect(device.received[0]!.from.port).toBe(port);
    listener.disconnect();
    expect(listener.connected()).toBe(false);
    await send(device.socket, 'anyone?', port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.messages()).toHaveLength(1);
    expect(harness.calls.map((c) => c.name)).not.toContain('onConnect');
    expect(harness.calls.map((c) => c.name)).not.toContain('onDisconnect');
  });

  it('sends without Connect, and hears the replies on the same Connection', async () => {
    harness = new RuntimeHarness();
    const device = await udpPeer();
    device.socket.on('message', (_data, from) => device.socket.send('pong', from.port, from.address));
    const connection = new Connection({
      name: 'Client',
      transport: 'UDP/IP',
      protocol: 'JSON',
      address: '127.0.0.1',
      port: device.port,
    });
    connection.send({ command: 'ping' });
    await until(() => device.received.length === 1);
    expect(device.received[0]!.text).toBe('{"command":"ping"}');
    expect(connection.connected()).toBe(true);
    device.socket.send('{"reply":"pong"} trailing', device.received[0]!.from.port, '127.0.0.1');
    const call = await harness.waitFor('onMessage');
    expect(call.args[0]).toBe(connection);
    expect((call.args[1] as Buffer).toString()).toBe('{"reply":"pong"}');
  });

  it('sends broadcasts (the socket allows broadcast) and listens for them on 255.255.255.255', async () => {
    harness = new RuntimeHarness();
    const port = await freePort();
    const listener = new Connection({
      name: 'Broadcasts',
      transport: 'UDP/IP',
      address: '255.255.255.255',
      port: String(port),
    });
    listener.listen();
    await until(() => listener.connected());
    const announcer = new Connection({
      name: 'Announce',
      transport: 'UDP/IP',
      address: '127.255.255.255',
      port: String(port),
    });
    announcer.send('hello everyone');
    const call = await harness.waitFor('onMessage', (c) => (c.args[0] as Connection).parent === listener);
    expect((call.args[1] as Buffer).toString()).toBe('hello everyone');
  });

  it('joins a multicast group when listening on a 224-239 address', async () => {
    harness = new RuntimeHarness();
    const port = await freePort();
    const listener = new Connection({
      name: 'SSDP',
      transport: 'UDP/IP',
      address: '239.255.255.250',
      port: String(port),
    });
    listener.listen();
    await until(() => listener.connected());
    const sender = createSocket('udp4');
    sockets.push(sender);
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    sender.setMulticastInterface('127.0.0.1');
    await send(sender, 'NOTIFY * HTTP/1.1', port, '239.255.255.250');
    const call = await harness.waitFor('onMessage');
    expect((call.args[1] as Buffer).toString()).toBe('NOTIFY * HTTP/1.1');
  });

  it('reports a port it cannot bind through onConnect', async () => {
    harness = new RuntimeHarness();
    const exclusive = createSocket({ type: 'udp4', reuseAddr: false });
    sockets.push(exclusive);
    const port = await freePort();
    await new Promise<void>((resolve) => exclusive.bind(port, '127.0.0.1', resolve));
    const listener = new Connection({
      name: 'Clash',
      transport: 'UDP/IP',
      address: '127.0.0.1',
      port: String(port),
    });
    listener.listen();
    const call = await harness.waitFor('onConnect');
    expect(call.args[1]).not.toBe(0);
    expect(call.args[2]).toMatch(/EADDRINUSE/);
  });
});
