import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every output line so far (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the first line (past or future) that matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
  /** SIGKILL: the crash case. */
  kill9(): Promise<number | string>;
}

const running = new Set<ServiceProcess>();

/**
 * Starts a compiled entry file (path relative to the repository root) as a real process, capturing its output.
 * Set WATTBUS_TEST_ECHO=1 to see the output while a test runs.
 */
export function spawnNode(
  name: string,
  entry: string,
  env: Record<string, string | undefined> = {},
  args: string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, entry), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve(line: string): void }>();
  const onData = (stream: NodeJS.ReadableStream) => {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (process.env.WATTBUS_TEST_ECHO) process.stderr.write(`[${name}] ${line}\n`);
        for (const waiter of waiters) {
          if (waiter.pattern.test(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
        newline = buffer.indexOf('\n');
      }
    });
  };
  onData(child.stdout!);
  onData(child.stderr!);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(service);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const service: ServiceProcess = {
    name,
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `${name}: no line matching ${pattern} within ${timeoutMs} ms. Output:\n${lines.slice(-30).join('\n')}`,
            ),
          );
        }, timeoutMs);
        exited.then(() => {
          if (waiters.has(waiter)) {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(
              new Error(`${name} exited before printing ${pattern}. Output:\n${lines.slice(-30).join('\n')}`),
            );
          }
        });
        const original = waiter.resolve;
        waiter.resolve = (line) => {
          clearTimeout(timer);
          original(line);
        };
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
  running.add(service);
  return service;
}

/** Kills every process a test started and did not stop, e.g. after a failed assertion. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((service) => service.stop(2000)));
}
