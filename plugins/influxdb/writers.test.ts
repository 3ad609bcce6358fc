import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxConfig } from './config.js';
import { InfluxError, InfluxV1Writer, InfluxV2Writer } from './writers.js';

interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;

/** A stand-in InfluxDB that records requests and answers with the given status and body. */
async function fakeInflux(status: number, body = ''): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      received.push({
        method: request.method!,
        url: new URL(request.url!, 'http://x'),
        headers: request.headers,
        body: text,
      });
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function closeServer(): Promise<void> {
  const running = server;
  server = undefined;
  if (running) await new Promise((resolve) => running.close(resolve));
}

afterEach(closeServer);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as InfluxError,
  );

describe('InfluxV2Writer', () => {
  it('posts line protocol to /api/v2/write with org, bucket, ms precision and the token', async () => {
    const fake = await fakeInflux(204);
    const config = InfluxConfig.parse({
      version: 2,
      url: fake.url,
      org: 'my org',
      bucket: 'power',
      token: 's3cret',
    });
    const writer = new InfluxV2Writer(config);
    await writer.write(['a x=1 1', 'b x=2 2']);
    const [request] = fake.received;
    expect(request!.method).toBe('POST');
    expect(request!.url.pathname).toBe('/api/v2/write');
    expect(Object.fromEntries(request!.url.searchParams)).toEqual({
      org: 'my org',
      bucket: 'power',
      precision: 'ms',
    });
    expect(request!.headers.authorization).toBe('Token s3cret');
    expect(request!.body).toBe('a x=1 1\nb x=2 2');
    expect(writer.description).not.toContain('s3cret');
  });

  it('tells a refused write (400) from a server that may come back (503)', async () => {
    const bad = await fakeInflux(400, JSON.stringify({ code: 'invalid', message: 'unable to parse points' }));
    const config = InfluxConfig.parse({ version: 2, url: bad.url, org: 'o', bucket: 'b', token: 't' });
    const refused = await failure(new InfluxV2Writer(config).write(['bad']));
    expect(refused).toMatchObject({ retryable: false, status: 400 });
    expect(refused.message).toContain('unable to parse points');
    await closeServer();

    const busy = await fakeInflux(503, 'overloaded');
    const retry = await failure(new InfluxV2Writer({ ...config, url: busy.url }).write(['x v=1 1']));
    expect(retry).toMatchObject({ retryable: true, status: 503 });
  });
});

describe('InfluxV1Writer', () => {
  it('writes to /write with db, rp, ms precision and basic authentication', async () => {
    const fake = await fakeInflux(204);
    const config = InfluxConfig.parse({
      url: fake.url,
      database_name: 'pm',
      retention_policy: 'week',
      username: 'u',
      password: 'p',
    });
    await new InfluxV1Writer(config).write(['a x=1 1']);
    const [request] = fake.received;
    expect(request!.url.pathname).toBe('/write');
    expect(Object.fromEntries(request!.url.searchParams)).toEqual({ db: 'pm', precision: 'ms', rp: 'week' });
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('reports an unreachable server as retryable, naming it', async () => {
    const fake = await fakeInflux(204);
    await closeServer();
    const config = InfluxConfig.parse({ url: fake.url, timeout: 2 });
    const error = await failure(new InfluxV1Writer(config).write(['a x=1 1']));
    expect(error).toBeInstanceOf(InfluxError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/unreachable \(ECONNREFUSED\)/);
  });
});
