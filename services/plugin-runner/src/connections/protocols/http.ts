import { describeZodError } from '@wattbus/shared/contract/payload.js';
import { z } from 'zod';
import { builtins } from '../builtins.js';
import { type Codec, type CodecContext, MAX_FRAME_BYTES, toBytes } from './codec.js';

/** A header value: text, bytes, or a list for a header sent several times. */
export type HeaderValue = string | Buffer | Uint8Array | (string | Buffer | Uint8Array)[];

const Bytes = z.custom<string | Uint8Array>(
  (value) => typeof value === 'string' || value instanceof Uint8Array,
  'must be a string, a Buffer or a Uint8Array',
);

/** What `send()` takes on an HTTP(S) connection: Domoticz's dictionary keys in camelCase. */
export const HttpSendSchema = z.strictObject({
  /** Any method; upper-cased. Makes the message a request. */
  verb: z.string().min(1).optional(),
  /** `'200 OK'` (or just `200`): makes the message a response. Ignored when verb is present. */
  status: z.union([z.string().min(1), z.number().int()]).optional(),
  /** The request URL; default `/`. */
  url: z.string().optional(),
  headers: z.record(z.string(), z.union([Bytes, z.array(Bytes)])).optional(),
  data: Bytes.optional(),
  /** Responses only: a chunk of a chunked response. A message with chunk and no data ends the response. */
  chunk: z.unknown().optional(),
});
export type HttpSendMessage = z.input<typeof HttpSendSchema>;

/** A response as onMessage receives it (client connections). */
export interface HttpResponse {
  /** The status code as text, e.g. `'200'`. */
  status: string;
  /** The reason phrase, e.g. `'OK'` (a wattbus extra). */
  statusText: string;
  /** Header names as the peer sent them; a header sent several times is a list. */
  headers: Record<string, string | string[]>;
  data: Buffer;
}

/** A request as onMessage receives it (connections accepted by Listen). */
export interface HttpRequest {
  verb: string;
  url: string;
  headers: Record<string, string | string[]>;
  data: Buffer;
}

const USER_AGENT = 'Domoticz/1.0';

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === lower);
}

export function headerOf(headers: Record<string, string | string[]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

function headerText(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
}

function headerLines(headers: Record<string, HeaderValue>): string {
  let lines = '';
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) lines += `${name}: ${headerText(one)}\r\n`;
  }
  return lines;
}

function chunkBytes(data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'),
    data,
    Buffer.from('\r\n', 'latin1'),
  ]);
}

export function checkMessage<T extends z.ZodType>(schema: T, message: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(message);
  if (!parsed.success) throw new TypeError(`${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

type Head =
  | { kind: 'response'; status: string; statusText: string; headers: Record<string, string | string[]> }
  | { kind: 'request'; verb: string; url: string; headers: Record<string, string | string[]> };

/**
 * Protocols "HTTP" and "HTTPS": requests and responses as dictionaries, for clients (Connect) and servers
 * (connections accepted by Listen). Requests get Host, User-Agent and (from Parameters) Basic authorisation when
 * absent; responses get Date and Server; both get Content-Length. Chunked and until-close bodies are read whole.
 */
export class HttpCodec implements Codec {
  private pending: Buffer = Buffer.alloc(0);
  private head: Head | undefined;
  private body: Buffer[] = [];
  private bodyMode: 'length' | 'chunked' | 'close' | undefined;
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  /** Methods of requests sent and not yet answered: a HEAD response has no body. */
  private readonly sentVerbs: string[] = [];
  private responseChunked = false;
  /** Set after a 101 response: the rest of the stream is another protocol's. */
  switched = false;

  constructor(private readonly context: CodecContext) {}

  /** Bytes received after a protocol switch (101), for the protocol that takes over. */
  takeRemainder(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }

  decode(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: unknown[] = [];
    while (!this.switched) {
      const message = this.step();
      if (message === undefined) break;
      messages.push(message);
    }
    if (this.pending.length > MAX_FRAME_BYTES)
      throw new Error(`HTTP message larger than ${MAX_FRAME_BYTES} bytes`);
    return messages;
  }

  end(): unknown[] {
    if (this.head && this.bodyMode === 'close') {
      this.body.push(this.pending);
      this.pending = Buffer.alloc(0);
      return [this.finish()];
    }
    return [];
  }

  /** Parses as far as the buffered bytes allow; returns a complete message, or undefined for "need more". */
  private step(): unknown {
    if (!this.head) {
      const crlf = this.pending.indexOf('\r\n\r\n');
      const lf = this.pending.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) {
        // Tolerate blank lines between messages.
        if (/^\r?\n/.test(this.pending.toString('latin1', 0, 2))) this.pending = this.pending.subarray(1);
        return undefined;
      }
      const text = this.pending.toString('latin1', 0, end).replace(/^(\r?\n)+/, '');
      this.pending = this.pending.subarray(end);
      this.head = this.parseHead(text);
      this.body = [];
      this.chooseBodyMode();
      if (this.bodyMode === undefined) return this.finish();
    }
    if (this.bodyMode === 'length') {
      if (this.pending.length < this.remaining) return undefined;
      this.body.push(this.pending.subarray(0, this.remaining));
      this.pending = this.pending.subarray(this.remaining);
      return this.finish();
    }
    if (this.bodyMode === 'chunked') return this.stepChunked();
    // Until close: everything goes to the body; end() delivers it.
    this.body.push(this.pending);
    this.pending = Buffer.alloc(0);
    return undefined;
  }

  private stepChunked(): unknown {
    for (;;) {
      if (this.chunkState === 'size' || this.chunkState === 'trailer') {
        const newline = this.pending.indexOf('\n');
        if (newline < 0) return undefined;
        const line = this.pending.toString('latin1', 0, newline).trim();
        this.pending = this.pending.subarray(newline + 1);
        if (this.chunkState === 'trailer') {
          if (line === '') {
            this.chunkState = 'size';
            return this.finish();
          }
          continue;
        }
        const size = Number.parseInt(line.split(';')[0]!, 16);
        if (!Number.isFinite(size)) throw new Error(`invalid HTTP chunk size ${JSON.stringify(line)}`);
        if (size === 0) this.chunkState = 'trailer';
        else {
          this.remaining = size;
          this.chunkState = 'data';
        }
        continue;
      }
      if (this.chunkState === 'data') {
        if (this.pending.length < this.remaining) return undefined;
        this.body.push(this.pending.subarray(0, this.remaining));
        this.pending = this.pending.subarray(this.remaining);
        this.chunkState = 'data-end';
        continue;
      }
      const newline = this.pending.indexOf('\n');
      if (newline < 0) return undefined;
      this.pending = this.pending.subarray(newline + 1);
      this.chunkState = 'size';
    }
  }

  private parseHead(text: string): Head {
    const lines = text.split(/\r?\n/).filter((line) => line !== '');
    const start = lines.shift() ?? '';
    const headers: Record<string, string | string[]> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const existing = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase());
      if (existing === undefined) headers[name] = value;
      else {
        const previous = headers[existing]!;
        headers[existing] = Array.isArray(previous) ? [...previous, value] : [previous, value];
      }
    }
    const response = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(start);
    if (response) return { kind: 'response', status: response[1]!, statusText: response[2] ?? '', headers };
    const request = /^(\S+)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/.exec(start);
    if (request) return { kind: 'request', verb: request[1]!.toUpperCase(), url: request[2]!, headers };
    throw new Error(`not an HTTP message: ${JSON.stringify(start.slice(0, 80))}`);
  }

  private chooseBodyMode(): void {
    const head = this.head!;
    const length = headerOf(head.headers, 'content-length');
    const chunked = /chunked/i.test(headerOf(head.headers, 'transfer-encoding') ?? '');
    this.bodyMode = undefined;
    if (head.kind === 'response') {
      const verb = this.sentVerbs.shift();
      const code = Number(head.status);
      if (code === 101) {
        this.switched = true;
        return;
      }
      if (verb === 'HEAD' || (code >= 100 && code < 200) || code === 204 || code === 304) return;
      if (chunked) this.bodyMode = 'chunked';
      else if (length !== undefined) this.bodyMode = 'length';
      else this.bodyMode = 'close';
    } else if (chunked) this.bodyMode = 'chunked';
    else if (length !== undefined) this.bodyMode = 'length';
    if (this.bodyMode === 'length') {
      this.remaining = Number.parseInt(length!, 10);
      if (!Number.isFinite(this.remaining) || this.remaining < 0)
        throw new Error(`invalid Content-Length ${length}`);
      if (this.remaining === 0) this.bodyMode = undefined;
    }
    if (this.bodyMode === 'chunked') this.chunkState = 'size';
  }

  private finish(): HttpResponse | HttpRequest {
    const head = this.head!;
    const data = Buffer.concat(this.body);
    this.head = undefined;
    this.body = [];
    this.bodyMode = undefined;
    if (head.kind === 'response') {
      return { status: head.status, statusText: head.statusText, headers: head.headers, data };
    }
    return { verb: head.verb, url: head.url, headers: head.headers, data };
  }

  encode(message: unknown): Buffer {
    const checked = checkMessage(HttpSendSchema, message, 'an HTTP message');
    if (checked.verb !== undefined) return this.encodeRequest(checked);
    if (checked.status !== undefined) return this.encodeResponse(checked);
    if ('chunk' in checked) {
      if (!this.responseChunked)
        throw new TypeError('an HTTP chunk must follow a response sent with status and chunk');
      if (checked.data === undefined) {
        this.responseChunked = false;
        return Buffer.from('0\r\n\r\n', 'latin1');
      }
      return chunkBytes(toBytes(checked.data, 'data'));
    }
    throw new TypeError('an HTTP message needs verb (a request) or status (a response)');
  }

  /** A request; `extraHeaders` are injected when absent (the WebSocket upgrade adds its own). */
  encodeRequest(message: z.output<typeof HttpSendSchema>, extraHeaders: Record<string, string> = {}): Buffer {
    const verb = message.verb!.toUpperCase();
    const headers: Record<string, HeaderValue> = { ...(message.headers ?? {}) };
    const data = message.data === undefined ? undefined : toBytes(message.data, 'data');
    const add = (name: string, value: string) => {
      if (!hasHeader(headers, name)) headers[name] = value;
    };
    add('Host', this.hostHeader());
    add('User-Agent', USER_AGENT);
    for (const [name, value] of Object.entries(extraHeaders)) add(name, value);
    if (this.context.username && this.context.password) {
      add(
        'Authorization',
        `Basic ${Buffer.from(`${this.context.username}:${this.context.password}`).toString('base64')}`,
      );
    }
    if (data !== undefined && !hasHeader(headers, 'Transfer-Encoding'))
      add('Content-Length', String(data.length));
    this.sentVerbs.push(verb);
    const head = `${verb} ${message.url || '/'} HTTP/1.1\r\n${headerLines(headers)}\r\n`;
    return data === undefined
      ? Buffer.from(head, 'latin1')
      : Buffer.concat([Buffer.from(head, 'latin1'), data]);
  }

  private encodeResponse(message: z.output<typeof HttpSendSchema>): Buffer {
    const code = String(message.status).trim();
    const status = /^\d{3}$/.test(code)
      ? `${code} ${builtins.http.STATUS_CODES[Number(code)] ?? ''}`.trim()
      : code;
    const headers: Record<string, HeaderValue> = { ...(message.headers ?? {}) };
    const data = message.data === undefined ? Buffer.alloc(0) : toBytes(message.data, 'data');
    const add = (name: string, value: string) => {
      if (!hasHeader(headers, name)) headers[name] = value;
    };
    add('Date', new Date().toUTCString());
    add('Server', USER_AGENT);
    const chunked = 'chunk' in message;
    if (chunked) add('Transfer-Encoding', 'chunked');
    else if (!hasHeader(headers, 'Transfer-Encoding')) add('Content-Length', String(data.length));
    this.responseChunked = chunked;
    const head = Buffer.from(`HTTP/1.1 ${status}\r\n${headerLines(headers)}\r\n`, 'latin1');
    if (!chunked) return Buffer.concat([head, data]);
    return data.length > 0 ? Buffer.concat([head, chunkBytes(data)]) : head;
  }

  private hostHeader(): string {
    const { address, port } = this.context;
    const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
    return port ? `${host}:${port}` : host;
  }
}
