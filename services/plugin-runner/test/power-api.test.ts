import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lifecycleTopic,
  messages,
  parseLine,
  ROOTS,
  readingPayload,
  type Stack,
  startStack,
  stateTopic,
  waitForMessage,
} from './runner-harness.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('a power-monitor-style plugin in the runner', () => {
  it('gets the live read-only reading, the energy counters, its config and a logger at its level; stops cleanly', async () => {
    const { client } = stack;
    await client.publish(
      topicFor(topics.readings, ROOTS, {}),
      readingPayload(500, '2024-05-01T10:00:00.000Z'),
      { retain: true },
    );
    stack.config(
      `[plugins.echo]\nenabled = true\nplugin = "power_echo"\nlog_level = "debug"\ngreeting = "hello"\n`,
    );
    const runner = stack.runner('echo');

    const started = await waitForMessage(runner, 'power_echo started');
    expect(started).toMatchObject({
      greeting: 'hello',
      first: '2024-05-01T10:00:00.000Z',
      voltage: 240,
      plugin: 'echo',
    });
    await waitForMessage(runner, 'debug lines are on');
    const refused = await waitForMessage(runner, 'write refused');
    expect(refused.error).toMatch(/data\["voltage"\] is read-only/);
    await client.waitFor(stateTopic('echo'), (m) => m.text === 'online');
    const lifecycle = await client.waitForJson<{ type: string; data: Record<string, unknown> }>(
      lifecycleTopic('echo'),
    );
    expect(lifecycle).toMatchObject({
      type: 'plugin_started',
      data: { plugin: 'power_echo', style: 'power', restarts: 0 },
    });

    await client.publish(
      topicFor(topics.readings, ROOTS, {}),
      readingPayload(13, '2024-05-01T10:00:01.000Z'),
      { retain: true },
    );
    await client.publish(
      topicFor(topics.readings, ROOTS, {}),
      readingPayload(700, '2024-05-01T10:00:02.000Z'),
      { retain: true },
    );
    const seen = parseLine(await runner.waitForLine(/"power":700.*"msg":"reading seen"/));
    // `kept` is data.cts taken at start: a live view shows the newest reading through it.
    expect(seen).toMatchObject({ power: 700, kept: 700, timestamp: '2024-05-01T10:00:02.000Z' });
    const failure = await waitForMessage(runner, 'plugin onReading listener failed');
    expect(failure).toMatchObject({ level: 'error', plugin: 'echo' });
    expect(JSON.stringify(failure)).toContain('listener failure on purpose');

    const energy = {
      cts: {},
      home: { import_wh: 1234.5, export_wh: 0 },
      production: { import_wh: 0, export_wh: 0 },
      net: { import_wh: 1234.5, export_wh: 0 },
      timestamp: '2024-05-01T10:00:02.000Z',
    };
    await client.publish(topicFor(topics.energy, ROOTS, {}), JSON.stringify(energy), { retain: true });
    expect(await waitForMessage(runner, 'energy seen')).toMatchObject({ home: 1234.5 });

    client.clear();
    expect(await runner.stop()).toBe(0);
    expect(runner.lines.some((line) => line.includes('power_echo stopPlugin called'))).toBe(true);
    expect(messages(runner, /sleep ended/)[0]).toMatchObject({ interrupted: true });
    await client.waitFor(stateTopic('echo'), (m) => m.text === 'offline');
    await client.waitForJson(
      lifecycleTopic('echo'),
      (value: { type: string }) => value.type === 'plugin_stopped',
    );
  });

  it('exits 0, saying so, when its block says enabled = false', async () => {
    stack.config(`[plugins.resting]\nenabled = false\nplugin = "power_echo"\n`);
    const runner = stack.runner('resting');
    expect(await runner.exited).toBe(0);
    expect(runner.lines.join('\n')).toMatch(/plugin resting is disabled/);
    const notice = await stack.client.waitForJson<{ type: string }>(lifecycleTopic('resting'));
    expect(notice).toEqual({ type: 'plugin_disabled', data: { plugin: 'power_echo', reason: 'disabled' } });
  });

  it('gives the plugin process the config file the runner was given with --config', async () => {
    const path = stack.config(
      `[general]\nname = "site-under-test"\n\n[plugins.site]\nenabled = true\nplugin = "power_site"\n`,
    );
    const runner = stack.runner('site', { configFlag: true });
    expect(await waitForMessage(runner, 'power_site started')).toMatchObject({
      site: 'site-under-test',
      config: path,
    });
    expect(await runner.stop()).toBe(0);
  });

  it('takes the instance id from WATTBUS_PLUGIN_ID and plugin keys from WATTBUS_PLUGIN__<KEY>', async () => {
    stack.config(`[plugins.fromenv]\nenabled = true\nplugin = "power_echo"\ngreeting = "file"\n`);
    const runner = stack.runner('fromenv', {
      idFromEnvironment: true,
      env: { WATTBUS_PLUGIN__GREETING: 'from the environment' },
    });
    expect(await waitForMessage(runner, 'power_echo started')).toMatchObject({
      greeting: 'from the environment',
      plugin: 'fromenv',
    });
    expect(await runner.stop()).toBe(0);
  });
});
