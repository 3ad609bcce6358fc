import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@wattbus/shared';
import type { Parameters } from '../src/domoticz/parameters.js';
import { DomoticzRuntime, installRuntime } from '../src/domoticz/runtime.js';

export interface RecordedCall {
  name: string;
  args: unknown[];
  /** The object the callback was called on (the module exports or a connection's target). */
  self: unknown;
}

type Reaction = (...args: unknown[]) => unknown;

/**
 * An in-process Domoticz runtime with recording module callbacks, for testing Connections against local peers
 * without a runner process. `on(name, fn)` runs code inside a callback, as a plugin would.
 */
export class RuntimeHarness {
  readonly runtime: DomoticzRuntime;
  readonly calls: RecordedCall[] = [];
  private readonly reactions = new Map<string, Reaction>();
  private readonly waiters = new Set<{
    name: string;
    predicate(call: RecordedCall): boolean;
    resolve(call: RecordedCall): void;
  }>();

  constructor(parameters: Partial<Parameters> = {}) {
    const logger = createLogger({
      service: 'test',
      level: process.env.WATTBUS_TEST_ECHO ? 'debug' : 'silent',
    });
    this.runtime = new DomoticzRuntime('test', 'Test hardware', logger, {
      request: () => Promise.reject(new Error('no registry in this test')),
      subscribe: () => {},
    });
    this.runtime.parameters = {
      username: '',
      password: '',
      name: 'Test hardware',
      ...parameters,
    } as Parameters;
    const record = (name: string) =>
      function (this: unknown, ...args: unknown[]) {
        harness.record({ name, args, self: this });
        return harness.reactions.get(name)?.(...args);
      };
    const harness = this;
    this.runtime.exports = Object.fromEntries(
      ['onConnect', 'onMessage', 'onDisconnect', 'onTimeout'].map((name) => [name, record(name)]),
    );
    installRuntime(this.runtime);
  }

  /** Makes a callback do something (after it has been recorded). */
  on(name: string, reaction: Reaction): void {
    this.reactions.set(name, reaction);
  }

  record(call: RecordedCall): void {
    this.calls.push(call);
    for (const waiter of this.waiters) {
      if (waiter.name === call.name && waiter.predicate(call)) {
        this.waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  }

  waitFor(
    name: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<RecordedCall> {
    const seen = this.calls.find((call) => call.name === name && predicate(call));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.calls.slice(-8).map(
          (call) =>
            `${call.name}(${call.args
              .slice(1)
              .map((a) => String(a).slice(0, 60))
              .join(', ')})`,
        );
        reject(
          new Error(`no ${name} within ${timeoutMs} ms; recent callbacks: ${recent.join('; ') || 'none'}`),
        );
      }, timeoutMs);
      const waiter = {
        name,
        predicate,
        resolve: (call: RecordedCall) => {
          clearTimeout(timer);
          resolve(call);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Every onMessage data so far, in order. */
  messages(): unknown[] {
    return this.calls.filter((call) => call.name === 'onMessage').map((call) => call.args[1]);
  }

  dispose(): void {
    for (const connection of [...this.runtime.connections]) connection.shutdown();
    installRuntime(undefined);
  }
}

/** A throwaway self-signed certificate for localhost (TLS tests), made with openssl. */
export function selfSignedCertificate(dir: string): {
  key: Buffer;
  cert: Buffer;
  keyFile: string;
  certFile: string;
} {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile };
}
