import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BridgeSettings,
  describeZodError,
  type Logger,
  MAX_PAYLOAD_BYTES,
  readCommandText,
  UnitCommand,
  UnitNumber,
} from '@wattbus/shared';
import { handleBridgeRequest } from '../protocol/requests.js';
import type { BridgeHandlers } from '../registry/bridge-operations.js';
import { RequestFailure } from '../store/group-commit.js';

export interface HttpApiOptions {
  host: string;
  port: number;
  /** Empty: no authentication (keep the API on the loopback address then). */
  token: string;
  bridge: BridgeHandlers;
  health(): Record<string, unknown>;
  settings(): BridgeSettings;
  unit(hardware: string, deviceId: string, unit: number): unknown;
  logger: Logger;
}

const STATUS_OF: Record<RequestFailure['kind'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES)
      throw new HttpError(413, `the body is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function segmentsOf(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'the path is not validly percent-encoded');
  }
}

function unitNumber(text: string): number {
  const parsed = UnitNumber.safeParse(/^\d+$/.test(text) ? Number(text) : Number.NaN);
  if (!parsed.success) throw new HttpError(400, `unit ${JSON.stringify(text)}: must be between 1 and 255`);
  return parsed.data;
}

/** A command body: JSON `{command, level, color}` or plain text as on the set topic (`Set Level 40`). */
function readCommand(text: string, contentType: string | undefined): UnitCommand {
  let raw: unknown;
  try {
    raw = contentType?.includes('json') ? JSON.parse(text) : readCommandText(text);
  } catch (error) {
    throw new HttpError(400, `the command is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = UnitCommand.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, `invalid command: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * The HTTP JSON API: the bridge operations for people who would rather curl than MQTT.
 *
 *   GET    /api/health                               registry and database status
 *   GET    /api/devices[?hardware=<hw>]              devices/list
 *   GET    /api/settings                             the live Settings map
 *   GET    /api/units/<hw>/<device>/<unit>           one unit's record
 *   GET    /api/units/<hw>/<device>/<unit>/history   unit/history (?from=&to=&limit=)
 *   POST   /api/units/<hw>/<device>/<unit>/command   unit/command; body JSON or text ("On", "Set Level 40")
 *   PATCH  /api/units/<hw>/<device>/<unit>           {name?, used?, options?}
 *   DELETE /api/units/<hw>/<device>/<unit>           unit/remove
 *   DELETE /api/devices/<hw>/<device>                device/remove
 *   POST   /api/bridge/<path>                        any bridge request, same body and answer as over MQTT
 *
 * `<device>` is the DeviceID percent-encoded as a URL path segment. Answers use the bridge's envelope
 * `{status, data, error}` with a matching HTTP status code.
 */
export class HttpApi {
  private server: Server | undefined;
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly options: HttpApiOptions) {
    this.tokenDigest = options.token ? digest(options.token) : undefined;
  }

  async start(): Promise<number> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'HTTP request failed');
        if (!response.headersSent) this.send(response, 500, { status: 'error', error: 'internal error' });
      });
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.options.logger.info(
      { host: this.options.host, port, auth: Boolean(this.tokenDigest) },
      'HTTP API listening',
    );
    if (!this.tokenDigest && !['127.0.0.1', '::1', 'localhost'].includes(this.options.host)) {
      this.options.logger.warn(
        { host: this.options.host },
        'the HTTP API listens beyond this machine without a token: anyone who reaches it can command devices (set [registry] http_token)',
      );
    }
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    response.end(text);
  }

  private authorized(request: IncomingMessage): boolean {
    if (!this.tokenDigest) return true;
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), this.tokenDigest);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!this.authorized(request)) {
      response.setHeader('www-authenticate', 'Bearer');
      this.send(response, 401, { status: 'error', error: 'missing or wrong bearer token' });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://registry');
    try {
      const work = await this.route(request, url);
      this.send(response, 200, { status: 'ok', data: await work() });
    } catch (error) {
      if (error instanceof HttpError) {
        this.send(response, error.status, { status: 'error', error: error.message });
      } else if (error instanceof RequestFailure) {
        this.send(response, STATUS_OF[error.kind], { status: 'error', error: error.message });
      } else {
        this.options.logger.error(
          { err: error, method: request.method, path: url.pathname },
          'HTTP request failed',
        );
        this.send(response, 500, { status: 'error', error: `internal error: ${(error as Error).message}` });
      }
    }
  }

  /** Resolves the route to the work it stands for; HttpErrors are thrown for malformed requests. */
  private async route(request: IncomingMessage, url: URL): Promise<() => Promise<unknown>> {
    const method = request.method ?? 'GET';
    const [root, area, ...rest] = segmentsOf(url.pathname);
    if (root !== 'api') throw new HttpError(404, 'not found; the API lives under /api/');
    const bridge = (path: string, body: Record<string, unknown>) => () =>
      handleBridgeRequest(this.options.bridge, path, body, 'http');
    const only = (allowed: string) => {
      if (method !== allowed) throw new HttpError(405, `${method} is not allowed here; use ${allowed}`);
    };

    if (area === 'health' && rest.length === 0) {
      only('GET');
      return async () => this.options.health();
    }
    if (area === 'settings' && rest.length === 0) {
      only('GET');
      return async () => this.options.settings();
    }
    if (area === 'bridge' && rest.length > 0) {
      only('POST');
      return bridge(rest.join('/'), parseJsonObject(await readBody(request)));
    }
    if (area === 'devices' && rest.length === 0) {
      only('GET');
      const hardware = url.searchParams.get('hardware');
      return bridge('devices/list', hardware === null ? {} : { hardware });
    }
    if (area === 'devices' && rest.length === 2) {
      only('DELETE');
      return bridge('device/remove', { hardware: rest[0], deviceId: rest[1] });
    }
    if (area === 'units' && (rest.length === 3 || rest.length === 4)) {
      const [hardware, deviceId, unitText, action] = rest as [string, string, string, string | undefined];
      const address = { hardware, deviceId, unit: unitNumber(unitText) };
      if (action === 'command') {
        only('POST');
        const command = readCommand(await readBody(request), request.headers['content-type']);
        return bridge('unit/command', { ...address, ...command });
      }
      if (action === 'history') {
        only('GET');
        const query: Record<string, unknown> = { ...address };
        for (const key of ['from', 'to'])
          if (url.searchParams.has(key)) query[key] = url.searchParams.get(key);
        if (url.searchParams.has('limit')) query.limit = Number(url.searchParams.get('limit'));
        return bridge('unit/history', query);
      }
      if (action !== undefined) throw new HttpError(404, `unknown unit action ${JSON.stringify(action)}`);
      if (method === 'GET') {
        return async () => {
          const found = this.options.unit(address.hardware, address.deviceId, address.unit);
          if (!found)
            throw new RequestFailure(
              `unit ${address.unit} of device ${JSON.stringify(address.deviceId)} on hardware ${address.hardware} does not exist`,
              'not_found',
            );
          return { unit: found };
        };
      }
      if (method === 'DELETE') return bridge('unit/remove', address);
      if (method === 'PATCH') return this.patch(address, parseJsonObject(await readBody(request)), bridge);
      throw new HttpError(405, `${method} is not allowed here; use GET, PATCH or DELETE`);
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  }

  /** PATCH runs rename, Used and Options as separate bridge operations, in that order. */
  private patch(
    address: { hardware: string; deviceId: string; unit: number },
    body: Record<string, unknown>,
    bridge: (path: string, body: Record<string, unknown>) => () => Promise<unknown>,
  ): () => Promise<unknown> {
    const unknown = Object.keys(body).filter((key) => !['name', 'used', 'options'].includes(key));
    if (unknown.length > 0)
      throw new HttpError(400, `unknown field(s) ${unknown.join(', ')}; PATCH takes name, used, options`);
    if (Object.keys(body).length === 0)
      throw new HttpError(400, 'nothing to change; PATCH takes name, used, options');
    return async () => {
      let result: unknown;
      if ('name' in body) result = await bridge('unit/rename', { ...address, name: body.name })();
      if ('used' in body) result = await bridge('unit/used', { ...address, used: body.used })();
      if ('options' in body) result = await bridge('unit/options', { ...address, options: body.options })();
      return result;
    };
  }
}
