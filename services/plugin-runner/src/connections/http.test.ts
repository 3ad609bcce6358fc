import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/index.js';
import { RuntimeHarness, selfSignedCertificate } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';
import type { HttpRequest, HttpResponse } from './protocols/http.js';

let harness: RuntimeHarness;
const servers: Server[] = [];
const certificateDir = tempDir('wattbus-http-tls-');
let certificate: ReturnType<typeof selfSignedCertificate>;

beforeAll(() => {
  certificate = selfSignedCertificate(certificateDir.path);
});
afterAll(() => certificateDir.remove());
afterEach(async () => {
  harness?.dispose();
  for (const server of servers.splice(0)) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function handler(seen: Seen[], respond: (seen: Seen, response: ServerResponse) => void) {
  return (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const entry = {
        method: incoming.method!,
        url: incoming.url!,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      respond(entry, response);
    });
  };
}

describe('HTTP protocol, client side', () => {
  it('sends requests with the automatic headers and receives responses as dictionaries', async () => {
    harness = new RuntimeHarness({ username: 'admin', password: 's3cret' });
    const seen: Seen[] = [];
    const port = await listen(
      createServer(
        handler(seen, (request, response) => {
          if (request.url === '/chunked') {
            response.writeHead(200, { 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'] });
            response.write('part one, ');
            setTimeout(() => response.end('part two'), 20);
          } else response.end(`you sent ${request.method} ${request.body}`);
        }),
      ),
    );
    const connection = new Connection({
      name: 'Web',
      transport: 'TCP/IP',
      protocol: 'HTTP',
      address: '127.0.0.1',
      port,
    });
    connection.connect();
    await harness.waitFor('onConnect');
    connection.send({
      verb: 'post',
      url: '/api?x=1',
      headers: { 'Content-Type': 'application/json' },
      data: '{"on":true}',
    });
    const first = (await harness.waitFor('onMessage')).args[1] as HttpResponse;
    expect(first.status).toBe('200');
    expect(first.statusText).toBe('OK');
    expect(first.data.toString()).toBe('you sent POST {"on":true}');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api?x=1' });
    expect(seen[0]!.headers).toMatchObject({
      authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
      'user-agent': 'Domoticz/1.0',
      host: `127.0.0.1:${port}`,
      'content-length': '11',
      'content-type': 'application/json',
    });
    connection.send({ verb: 'GET', url: '/chunked', headers: { Authorization: 'Bearer mine' } });
    const second = (await harness.waitFor('onMessage', () => harness.messages().length === 2))
      .args[1] as HttpResponse;
    expect(second.data.toString()).toBe('part one, part two');
    expect(second.headers['Transfer-Encoding'] ?? second.headers['transfer-encoding']).toMatch(/chunked/i);
    expect(second.headers['Set-Cookie'] ?? second.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(seen[1]!.headers.authorization).toBe('Bearer mine');
    connection.send({ verb: 'HEAD', url: '/' });
    const third = (await harness.waitFor('onMessage', () => harness.messages().length === 3))
      .args[1] as HttpResponse;
    expect(third.status).toBe('200');
    expect(third.data.length).toBe(0);
  });

  it('reads a body that ends when the server closes the connection', async () => {
    harness = new RuntimeHarness();
    const raw = createNetServer((socket) => {
      socket.once('data', () =>
        socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'),
      );
    });
    const port = await listen(raw as unknown as Server);
    const connection = new Connection({
      name: 'Old',
      transport: 'TCP/IP',
      protocol: 'HTTP',
      address: '127.0.0.1',
      port,
    });
    connection.connect();
    await harness.waitFor('onConnect');
    connection.send({ verb: 'GET' });
    const response = (await harness.waitFor('onMessage')).args[1] as HttpResponse;
    expect(response.data.toString()).toBe('until the end');
    await harness.waitFor('onDisconnect');
  });

  it('rejects a message that is neither a request nor a response', async () => {
    harness = new RuntimeHarness();
    const port = await listen(createServer(() => {}));
    const connection = new Connection({
      name: 'Web',
      transport: 'TCP/IP',
      protocol: 'HTTP',
      address: '127.0.0.1',
      port,
    });
    connection.connect();
    await harness.waitFor('onConnect');
    expect(() => connection.send({ url: '/' })).toThrow(/needs verb \(a request\) or status \(a response\)/);
    expect(() => connection.send({ verb: 'GET', data: 42 })).toThrow(
      /data: must be a string, a Buffer or a Uint8Array/,
    );
  });
});

describe('HTTPS protocol', () => {
  it('talks HTTP over TLS on a TCP/IP transport', async () => {
    harness = new RuntimeHarness();
    const seen: Seen[] = [];
    const server = createHttpsServer(
      { key: certificate.key, cert: certificate.cert },
      handler(seen, (_r, response) => response.end('secure')),
    );
    const port = await listen(server as unknown as Server);
    const connection = new Connection({
      name: 'Secure',
      transport: 'TCP/IP',
      protocol: 'HTTPS',
      address: '127.0.0.1',
      port,
    });
    connection.connect();
    expect((await harness.waitFor('onConnect')).args[1]).toBe(0);
    connection.send({ verb: 'GET', url: '/s' });
    const response = (await harness.waitFor('onMessage')).args[1] as HttpResponse;
    expect(response.data.toString()).toBe('secure');
    expect(seen[0]!.url).toBe('/s');
  });

  it('refuses an untrusted certificate when asked to verify, and accepts it with the CA', async () => {
    harness = new RuntimeHarness();
    const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (_request, response) =>
      response.end('ok'),
    );
    const port = await listen(server as unknown as Server);
    const strict = new Connection({
      name: 'Strict',
      transport: 'TLS/IP',
      protocol: 'HTTP',
      address: '127.0.0.1',
      port,
      tls: { rejectUnauthorized: true },
    });
    strict.connect();
    const refused = await harness.waitFor('onConnect');
    expect(refused.args[1]).not.toBe(0);
    const trusting = new Connection({
      name: 'Trusting',
      transport: 'TLS/IP',
      protocol: 'HTTP',
      address: 'localhost',
      port,
      tls: { rejectUnauthorized: true, ca: certificate.cert },
    });
    trusting.connect();
    const accepted = await harness.waitFor('onConnect', (call) => call.args[0] === trusting);
    expect(accepted.args[1]).toBe(0);
  });
});

describe('HTTP protocol, server side (Listen)', () => {
  it('receives requests as dictionaries and answers with responses, plain and chunked', async () => {
    harness = new RuntimeHarness();
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const listener = new Connection({
      name: 'WebServer',
      transport: 'TCP/IP',
      protocol: 'HTTP',
      address: '127.0.0.1',
      port,
    });
    harness.on('onMessage', (connection, data) => {
      const incoming = data as HttpRequest;
      const client = connection as Connection;
      if (incoming.url === '/chunks') {
        client.send({
          status: '200 OK',
          headers: { 'Content-Type': 'text/html' },
          chunk: true,
          data: 'first ',
        });
        client.send({ chunk: true, data: 'second ' }, 0.05);
        client.send({ chunk: true, data: 'last' }, 0.1);
        client.send({ chunk: true }, 0.15);
      } else {
        client.send({
          status: 200,
          headers: { 'X-Echo': incoming.verb },
          data: `hello ${incoming.data.toString()}`,
        });
      }
    });
    listener.listen();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fetchText = (path: string, method = 'GET', body?: string) =>
      new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
        (resolve, reject) => {
          const outgoing = request({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode!,
                headers: response.headers,
                body: Buffer.concat(chunks).toString(),
              }),
            );
          });
          outgoing.on('error', reject);
          outgoing.end(body);
        },
      );
    const plain = await fetchText('/x', 'PUT', 'world');
    expect(plain).toMatchObject({ status: 200, body: 'hello world' });
    expect(plain.headers).toMatchObject({ 'x-echo': 'PUT', server: 'Domoticz/1.0', 'content-length': '11' });
    expect(plain.headers.date).toBeDefined();
    const request1 = harness.messages()[0] as HttpRequest;
    expect(request1).toMatchObject({ verb: 'PUT', url: '/x' });
    const chunked = await fetchText('/chunks');
    expect(chunked.body).toBe('first second last');
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    listener.disconnect();
  });
});
