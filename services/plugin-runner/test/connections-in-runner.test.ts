import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, waitForMessage } from './runner-harness.js';

// Connections as a plugin uses them: inside the plugin process, with the callbacks on its queue.
let stack: Stack;
let echoServer: Server;

beforeAll(async () => {
  stack = await startStack({ registry: true });
  echoServer = createServer((socket) => {
    socket.on('data', (data) => socket.write(`echo ${data.toString()}`));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => echoServer?.close(resolve));
});

describe('connections in the plugin process', () => {
  it('talks Line to a TCP peer and MQTT to the broker', async () => {
    const echoPort = (echoServer.address() as { port: number }).port;
    stack.config(
      `[plugins.conns]\nenabled = true\nplugin = "connections_demo"\naddress = "127.0.0.1"\nport = ${echoPort}\nmode1 = "${stack.broker.port}"\n`,
    );
    await stack.client.subscribe('demo/#');
    const runner = stack.runner('conns');
    expect(await waitForMessage(runner, 'conn connect')).toMatchObject({ name: 'Echo', status: 0 });
    expect(await waitForMessage(runner, 'conn message')).toMatchObject({ name: 'Echo', text: 'echo hello' });
    expect(await waitForMessage(runner, 'conn broker connect')).toMatchObject({ status: 0 });
    await stack.client.waitFor('demo/out', (message) => message.text === 'ready');
    await stack.client.publish('demo/in', 'from the test');
    expect(await waitForMessage(runner, 'conn mqtt message')).toMatchObject({
      topic: 'demo/in',
      payload: 'from the test',
    });
    expect(await runner.stop()).toBe(0);
  });
});
