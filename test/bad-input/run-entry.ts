import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/processes.js';

export interface EntryRun {
  /** The exit code, or the signal name when the process was killed. */
  code: number | string;
  /** stdout and stderr, interleaved by arrival. */
  output: string;
  /** True when the process did not end on its own within the time limit. */
  timedOut: boolean;
}

export interface EntryOptions {
  args?: string[];
  /** Added to an environment without any inherited WATTBUS_* variable, so the caller's shell cannot leak in. */
  env?: Record<string, string>;
  cwd: string;
  stdin?: string;
  timeoutMs?: number;
}

/**
 * Runs a compiled entry file (path relative to the repository root) to its end. A process that is still running at
 * the deadline gets SIGTERM (the launcher then stops what it started), and SIGKILL 5 s later.
 */
export function runEntry(entry: string, options: EntryOptions): Promise<EntryRun> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('WATTBUS')) env[name] = value;
  }
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [join(REPO_ROOT, entry), ...(options.args ?? [])], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  // A command that reads no input closes stdin early; writing then must not fail the test.
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  let timedOut = false;
  const term = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, options.timeoutMs ?? 20_000);
  const kill = setTimeout(() => child.kill('SIGKILL'), (options.timeoutMs ?? 20_000) + 5000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code: code ?? signal ?? 'unknown', output, timedOut });
    });
  });
}

/** Lines of a Node.js stack trace (`    at fn (file:1:2)`), and the banner of an uncaught error. */
export function stackLines(output: string): string[] {
  return output
    .split('\n')
    .filter(
      (line) => /^\s+at .+\(.*:\d+:\d+\)/.test(line) || /^\s+at /.test(line) || /^Node\.js v\d+/.test(line),
    );
}
