import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type ServiceProcess } from '../../../test/helpers/index.js';
import { type Stack, startStack, waitForMessage } from './runner-harness.js';

/**
 * Issue 8's target: one plugin runner process under 60 MB RSS when idle. A runner is two processes (the
 * supervisor and the plugin process), and every enabled plugin has one, so each is measured: for the bundled
 * Domoticz-style example and for the GPIO plugin (power-monitor style, with units), as `npm start` and the
 * containers run them.
 */

const LIMIT_MIB = 60;
const MARGIN_MIB = 2;
const IDLE_AFTER_MS = 12_000;
const SETTLE_MS = 30_000;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ registry: true });
  stack.config(`[plugins.example]
enabled = true

[plugins.gpio_controller_example_plugin]
enabled = true
output_pin = 17
backend = "simulated"
check_interval = 5
`);
});
afterAll(async () => {
  await stack?.stop();
});

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return Math.round((kB / 1024) * 10) / 10;
}

interface Measured {
  plugin: string;
  supervisor: number;
  child: number;
}

async function startRunner(id: string): Promise<{ runner: ServiceProcess; childPid: number }> {
  const runner = stack.runner(id, { pluginsDir: join(REPO_ROOT, 'plugins') });
  const running = await waitForMessage(runner, 'plugin is running', 30_000);
  return { runner, childPid: running.pid as number };
}

describe('an idle plugin runner', () => {
  it(`stays under ${LIMIT_MIB} MiB RSS in the supervisor and in the plugin process`, async () => {
    const runners = await Promise.all(
      ['example', 'gpio_controller_example_plugin'].map(async (plugin) => ({
        plugin,
        ...(await startRunner(plugin)),
      })),
    );
    const measure = (): Measured[] =>
      runners.map(({ plugin, runner, childPid }) => ({
        plugin,
        supervisor: rssMiB(runner.child.pid!),
        child: rssMiB(childPid),
      }));
    const atStart = measure();
    // Idle: V8 gives back what start-up used once the process has been quiet for a while (its memory reducer runs
    // about eight seconds after start-up's last full collection). A busy test machine may delay that: while a value
    // is near the limit, keep looking until the deadline.
    const near = (values: Measured[]) =>
      values.some((value) => Math.max(value.supervisor, value.child) >= LIMIT_MIB - MARGIN_MIB);
    const started = Date.now();
    let idle = atStart;
    while (Date.now() - started < IDLE_AFTER_MS || (near(idle) && Date.now() - started < SETTLE_MS)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      idle = measure();
    }
    console.log(
      `plugin runner RSS in MiB (supervisor / plugin process), at start and idle:\n${atStart
        .map(
          (start, index) =>
            `  ${start.plugin}: ${start.supervisor} / ${start.child}, idle ${idle[index]!.supervisor} / ${idle[index]!.child}`,
        )
        .join('\n')}`,
    );
    for (const value of idle) {
      expect(value.supervisor, `${value.plugin} supervisor`).toBeLessThan(LIMIT_MIB);
      expect(value.child, `${value.plugin} plugin process`).toBeLessThan(LIMIT_MIB);
    }
    for (const { runner } of runners) expect(await runner.stop()).toBe(0);
  });
});
