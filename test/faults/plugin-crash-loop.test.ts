import { join } from 'node:path';
import type { UnitState } from '@wattbus/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWattbusBroker } from '../helpers/brokers.js';
import { TestClient } from '../helpers/mqtt.js';
import { REPO_ROOT, stopAllProcesses } from '../helpers/processes.js';
import { startStack } from '../helpers/stack.js';
import { commandUnit, FIXTURE_PLUGINS } from './support.js';

/**
 * Issue 8, fault 3: plugins that crash over and over (one throws in startPlugin, one exits its process) and one
 * that hangs in a callback, next to healthy plugins of both APIs. The broken ones are restarted with growing
 * delays and reported (`plugin_failed`, `plugin_blocked` on `<base>/bridge/event`, their state `offline`); the
 * healthy ones, the registry and the sampler carry on as if nothing happened.
 */

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const RESTARTS = 'restart_delay = 0.5\nrestart_max_delay = 4\nrestart_reset_after = 60';
const CONFIG = `
[plugins.example]
enabled = true
mode2 = "1"

[plugins.probe]
enabled = true
plugin = "fault_probe"
mirror_interval = 0.5

[plugins.thrower]
enabled = true
plugin = "fault_probe"
behaviour = "throw_on_start"
${RESTARTS}

[plugins.exiter]
enabled = true
plugin = "fault_probe"
behaviour = "exit"
${RESTARTS}

[plugins.hanger]
enabled = true
plugin = "fault_probe"
behaviour = "hang"
mirror_interval = 0.5
watchdog_interval = 0.5
callback_timeout = 2
${RESTARTS}
`;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await stopAllProcesses();
});

interface Event {
  type: string;
  data: Record<string, unknown>;
  at: number;
}

describe('plugins in a crash loop', () => {
  it('are restarted with backoff and reported, while everything else carries on', async () => {
    const broker = await startWattbusBroker();
    cleanup.push(() => broker.stop());
    const watcher = await TestClient.connect(broker.url);
    cleanup.push(() => watcher.close());
    // Arrival times, to check the delays between restarts.
    const events: Event[] = [];
    watcher.client.on('message', (topic, payload) => {
      if (topic === 'wattbus/bridge/event')
        events.push({ ...(JSON.parse(payload.toString('utf8')) as Omit<Event, 'at'>), at: Date.now() });
    });
    await watcher.subscribe(['wattbus/#']);
    const of = (plugin: string, type: string) =>
      events.filter((event) => event.type === type && event.data.plugin === plugin);

    const stack = await startStack(broker, {
      plugins: ['example', 'probe', 'thrower', 'exiter', 'hanger'],
      pluginsDir: {
        example: join(REPO_ROOT, 'plugins'),
        probe: FIXTURE_PLUGINS,
        thrower: FIXTURE_PLUGINS,
        exiter: FIXTURE_PLUGINS,
        hanger: FIXTURE_PLUGINS,
      },
      extraConfig: CONFIG,
    });
    cleanup.push(() => stack.stop());
    for (const plugin of ['example', 'probe', 'hanger'])
      await expect.poll(() => of(plugin, 'plugin_started').length, { timeout: 40_000 }).toBeGreaterThan(0);
    // Their units exist (a plugin makes them after it started), so commands have somewhere to go.
    for (const topic of [
      'wattbus/devices/probe/probe/2',
      'wattbus/devices/hanger/probe/2',
      'wattbus/devices/example/example/2',
    ])
      await watcher.waitFor(topic, undefined, 20_000);
    const windowStart = Date.now();
    watcher.clear();

    // The hanging plugin: stuck in its command listener, found by the watchdog, restarted.
    await watcher.publish('wattbus/devices/hanger/probe/2/set', 'On');
    await expect.poll(() => of('hanger', 'plugin_blocked').length, { timeout: 20_000 }).toBe(1);
    expect(of('hanger', 'plugin_blocked')[0]!.data).toMatchObject({
      callback: expect.stringMatching(/command/i),
      reason: expect.stringMatching(/inside .* for [\d.]+ s/),
    });
    await expect
      .poll(() => of('hanger', 'plugin_started').filter((event) => event.data.restarts === 1).length, {
        timeout: 20_000,
      })
      .toBe(1);
    const hangerBack = Date.now();
    // The new plugin process works: readings reach it and its updates reach the registry.
    await watcher.waitForJson(
      'wattbus/devices/hanger/probe/1',
      (state: UnitState) => Date.parse(state.sValue) > hangerBack,
      20_000,
    );

    // The crashing plugins: at least three failures each, restarted after 0.5, 1 and 2 s.
    for (const [plugin, reason] of [
      ['thrower', /startPlugin\(\) threw: fault_probe throws in startPlugin on purpose/],
      ['exiter', /the plugin process exited with code 7/],
    ] as const) {
      await expect
        .poll(() => of(plugin, 'plugin_failed').length, { timeout: 40_000 })
        .toBeGreaterThanOrEqual(3);
      const failures = of(plugin, 'plugin_failed').slice(0, 3);
      expect(
        failures.map((event) => event.data.restart_in_seconds),
        plugin,
      ).toEqual([0.5, 1, 2]);
      expect(
        failures.map((event) => event.data.consecutive_failures),
        plugin,
      ).toEqual([1, 2, 3]);
      for (const failure of failures) expect(String(failure.data.reason), plugin).toMatch(reason);
      // The announced delay is kept: a failure comes no sooner than the restart delay after the one before.
      for (let i = 1; i < failures.length; i++) {
        const gap = failures[i]!.at - failures[i - 1]!.at;
        const delay = Number(failures[i - 1]!.data.restart_in_seconds) * 1000;
        expect(gap, `${plugin}: failure ${i + 1} came ${gap} ms after failure ${i}`).toBeGreaterThanOrEqual(
          delay - 100,
        );
      }
      // Down between attempts: the state topic says so.
      expect(
        watcher.messages.filter((m) => m.topic === `wattbus/plugins/${plugin}/state`).map((m) => m.text),
        plugin,
      ).toContain('offline');
    }
    expect(of('thrower', 'plugin_started')).toEqual([]);
    expect(of('exiter', 'plugin_started').length).toBeGreaterThanOrEqual(2);
    const windowSeconds = (Date.now() - windowStart) / 1000;

    // The healthy plugins were never touched: not failed, not offline, their units kept updating all along.
    for (const plugin of ['example', 'probe']) {
      expect(
        events.filter((event) => event.data.plugin === plugin && /failed|blocked|offline/.test(event.type)),
        plugin,
      ).toEqual([]);
      expect(
        watcher.messages.filter((m) => m.topic === `wattbus/plugins/${plugin}/state`).map((m) => m.text),
      ).not.toContain('offline');
    }
    const updates = (topic: string) => watcher.messages.filter((m) => m.topic === topic).length;
    expect(updates('wattbus/devices/probe/probe/1')).toBeGreaterThanOrEqual(Math.floor(windowSeconds / 2));
    expect(updates('wattbus/devices/example/example/1')).toBeGreaterThanOrEqual(
      Math.floor(windowSeconds / 3),
    );
    expect(updates('wattbus/readings')).toBeGreaterThanOrEqual(Math.floor(windowSeconds));

    // Commands still work, for both of them.
    await commandUnit(watcher, 'wattbus/devices/probe/probe/2', 'On');
    await commandUnit(watcher, 'wattbus/devices/example/example/2', 'On');

    // No process gave up: the runners of the broken plugins keep trying, the services never noticed.
    for (const [name, process] of stack.processes)
      expect(process.child.exitCode, `${name} is still running`).toBeNull();
  });
});
