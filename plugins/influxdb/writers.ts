import type { InfluxConfig } from './config.js';
import {
  continuousQueryStatements,
  quoteIdentifier,
  retentionPolicyStatement,
} from './continuous-queries.js';

/** A write or query that failed. `retryable` failures keep the points; the others drop them. */
export class InfluxError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InfluxError';
  }
}

/** Where points go: InfluxDB 1.x or 2.x over HTTP. */
export interface InfluxWriter {
  /** For logs: the server and database or bucket, never credentials. */
  readonly description: string;
  /** Writes line-protocol points at millisecond precision. Throws InfluxError. */
  write(lines: readonly string[]): Promise<void>;
  /**
   * Creates what the plugin needs on the server (1.x: the database, the rp_5min retention policy and the continuous
   * queries, as configured). Problems that are not worth stopping for are returned as warnings.
   */
  prepare(): Promise<string[]>;
}

/** Reads an error body from InfluxDB (`{"error": ...}` on 1.x, `{"message": ...}` on 2.x) or its text. */
async function errorText(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const message = body.error ?? body.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: use the text
  }
  return text.slice(0, 500) || response.statusText;
}

/**
 * Client errors other than authentication are about the points or the request itself: sending them again
 * cannot help. Everything else (server errors, unreachable server, timeouts, wrong credentials the user may fix,
 * a database that does not exist yet) keeps the points for another attempt.
 */
function isRetryable(status: number): boolean {
  return (
    status >= 500 || status === 401 || status === 403 || status === 404 || status === 408 || status === 429
  );
}

async function send(url: URL, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new InfluxError(`${what} failed: ${url.origin} unreachable (${reason})`, true);
  }
}

/** Posts line protocol to a write endpoint (1.x and 2.x answer alike); a refusal says whether to retry. */
async function postLines(
  url: URL,
  headers: Record<string, string>,
  lines: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const response = await send(
    url,
    {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
      body: lines.join('\n'),
    },
    timeoutMs,
    'write',
  );
  if (response.status === 204 || response.status === 200) {
    await response.body?.cancel();
    return;
  }
  const status = response.status;
  throw new InfluxError(
    `write refused with HTTP ${status}: ${await errorText(response)}`,
    isRetryable(status),
    status,
  );
}

function baseUrl(config: InfluxConfig): string {
  if (config.url) return config.url.replace(/\/$/, '');
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `${config.ssl ? 'https' : 'http'}://${host}:${config.port}`;
}

/** InfluxDB 1.x: `/write?db=...&precision=ms` and `/query`, with basic authentication when a username is set. */
export class InfluxV1Writer implements InfluxWriter {
  readonly description: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: InfluxConfig) {
    this.base = baseUrl(config);
    this.description = `${this.base} database ${config.database_name}`;
    this.headers = config.username
      ? { authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}` }
      : {};
  }

  private get timeoutMs(): number {
    return this.config.timeout * 1000;
  }

  async write(lines: readonly string[]): Promise<void> {
    const url = new URL('/write', this.base);
    url.searchParams.set('db', this.config.database_name);
    url.searchParams.set('precision', 'ms');
    if (this.config.retention_policy) url.searchParams.set('rp', this.config.retention_policy);
    await postLines(url, this.headers, lines, this.timeoutMs);
  }

  /** Runs one InfluxQL statement; InfluxDB reports statement errors inside a 200 response. */
  async query(statement: string): Promise<unknown> {
    const url = new URL('/query', this.base);
    url.searchParams.set('db', this.config.database_name);
    const response = await send(
      url,
      {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ q: statement }).toString(),
      },
      this.timeoutMs,
      'query',
    );
    if (!response.ok) {
      const status = response.status;
      throw new InfluxError(
        `query refused with HTTP ${status}: ${await errorText(response)}`,
        isRetryable(status),
        status,
      );
    }
    const body = (await response.json()) as { results?: { error?: string }[]; error?: string };
    const error = body.error ?? body.results?.find((result) => result.error)?.error;
    if (error) throw new InfluxError(`${statement.split(' ').slice(0, 4).join(' ')} ...: ${error}`, false);
    return body;
  }

  async prepare(): Promise<string[]> {
    const warnings: string[] = [];
    if (this.config.create_database) {
      await this.query(`CREATE DATABASE ${quoteIdentifier(this.config.database_name)}`);
    }
    if (this.config.continuous_queries) {
      const statements = [
        retentionPolicyStatement(this.config.database_name),
        ...continuousQueryStatements(this.config.database_name, this.config.retention_policy),
      ];
      // Each on its own: one that exists with a different definition must not block the rest.
      for (const statement of statements) {
        try {
          await this.query(statement);
        } catch (error) {
          if (error instanceof InfluxError && !error.retryable) warnings.push(error.message);
          else throw error;
        }
      }
    }
    return warnings;
  }
}

/** InfluxDB 2.x: `/api/v2/write?org=...&bucket=...&precision=ms` with `Authorization: Token ...`. */
export class InfluxV2Writer implements InfluxWriter {
  readonly description: string;
  private readonly base: string;

  constructor(private readonly config: InfluxConfig) {
    this.base = baseUrl(config);
    this.description = `${this.base} org ${config.org} bucket ${config.bucket}`;
  }

  async write(lines: readonly string[]): Promise<void> {
    const url = new URL('/api/v2/write', this.base);
    url.searchParams.set('org', this.config.org);
    url.searchParams.set('bucket', this.config.bucket);
    url.searchParams.set('precision', 'ms');
    await postLines(url, { authorization: `Token ${this.config.token}` }, lines, this.config.timeout * 1000);
  }

  /** The bucket must exist already: creating one needs an all-access token, which a writer should not hold. */
  async prepare(): Promise<string[]> {
    return [];
  }
}

export function createWriter(config: InfluxConfig): InfluxWriter {
  return config.version === 2 ? new InfluxV2Writer(config) : new InfluxV1Writer(config);
}
