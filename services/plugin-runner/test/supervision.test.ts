import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../../test/helpers/index.js';
import {
  lifecycleTopic,
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

interface Notice {
  type: string;
  data: Record<string, unknown>;
}

function notices(hw: string): Notice[] {
  return stack.client.messages
    .filter((message: ReceivedMessage) => message.topic === lifecycleTopic(hw))
    .map((message) => JSON.parse(message.text) as Notice);
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const FAST_RESTARTS = 'restart_delay = 0.2\nrestart_max_delay = 5\nrestart_reset_after = 60';

describe('supervision of the plugin process', () => {
  it.each([
    ['exit', 'the plugin process exited with code 3'],
    ['throw', 'startPlugin() threw: startPlugin fails on purpose'],
  ])(
    'restarts a plugin that crashes (%s) with growing delays, reporting each failure',
    async (mode, reason) => {
      const id = `crash_${mode}`;
      stack.config(
        `[plugins.${id}]\nenabled = true\nplugin = "power_crash"\nmode = "${mode}"\n${FAST_RESTARTS}\n`,
      );
      const runner = stack.runner(id);
      await until(() => notices(id).filter((notice) => notice.type === 'plugin_failed').length >= 3);
      const failures = notices(id).filter((notice) => notice.type === 'plugin_failed');
      expect(failures.map((notice) => notice.data.restart_in_seconds)).toEqual([0.2, 0.4, 0.8]);
      expect(failures[0]!.data).toMatchObject({ plugin: 'power_crash', reason });
      // It came back each time, and its state went offline in between. One that throws before its first wait
      // never ran, so it is never reported as started (its state does not flap online).
      const started = notices(id).filter((notice) => notice.type === 'plugin_started').length;
      if (mode === 'exit') expect(started).toBeGreaterThanOrEqual(3);
      else expect(started).toBe(0);
      const states = stack.client.messages
        .filter((message) => message.topic === stateTopic(id))
        .map((message) => message.text);
      expect(states).toContain('offline');
      expect(runner.lines.join('\n')).toMatch(/"level":"error".*restarting in 0.2 s/);
      expect(await runner.stop()).toBe(0);
    },
  );

  it('ends a plugin whose stop hook does not return within stop_timeout', async () => {
    stack.config(
      `[plugins.slow]\nenabled = true\nplugin = "power_crash"\nmode = "slow_stop"\nstop_timeout = 1\n`,
    );
    const runner = stack.runner('slow');
    await waitForMessage(runner, 'plugin is running');
    const started = Date.now();
    expect(await runner.stop(15_000)).toBe(0);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect(runner.lines.join('\n')).toMatch(/plugin did not stop within 1 s; ending it/);
    await until(() => notices('slow').some((notice) => notice.type === 'plugin_stopped'));
    expect(notices('slow').find((notice) => notice.type === 'plugin_stopped')!.data.in_time).toBe(false);
  });

  it('detects a plugin that blocks its event loop, reports plugin_blocked and restarts it', async () => {
    stack.config(
      `[plugins.spin]\nenabled = true\nplugin = "power_crash"\nmode = "block"\nwatchdog_interval = 0.2\ncallback_timeout = 1.5\n${FAST_RESTARTS}\n`,
    );
    const runner = stack.runner('spin');
    await waitForMessage(runner, 'plugin is running');
    await stack.client.publish(topicFor(topics.readings, ROOTS, {}), readingPayload(999));
    await until(() => notices('spin').some((notice) => notice.type === 'plugin_blocked'));
    const blocked = notices('spin').find((notice) => notice.type === 'plugin_blocked')!;
    expect(blocked.data.reason).toMatch(/has not answered for .* its event loop is blocked/);
    await until(() => notices('spin').filter((notice) => notice.type === 'plugin_started').length >= 2);
    expect(notices('spin').find((notice) => notice.type === 'plugin_failed')!.data.reason).toMatch(
      /event loop is blocked/,
    );
    expect(await runner.stop()).toBe(0);
  });
});

describe('plugins that cannot start', () => {
  async function failsPermanently(id: string, block: string, expected: RegExp): Promise<void> {
    stack.config(`[plugins.${id}]\nenabled = true\n${block}\n`);
    const runner = stack.runner(id);
    expect(await runner.exited).toBe(78);
    const errors = runner.lines
      .filter((line) => line.includes('"level":"error"'))
      .map((line) => parseLine(line).msg);
    expect(errors.join('\n')).toMatch(expected);
    await until(() => notices(id).some((notice) => notice.type === 'plugin_failed'));
    expect(notices(id).find((notice) => notice.type === 'plugin_failed')!.data.permanent).toBe(true);
  }

  it('reports a missing plugin folder, listing the plugins there are', async () => {
    await failsPermanently(
      'lost',
      'plugin = "nowhere"',
      /plugin folder .*nowhere does not exist \(plugins found in .*: .*power_echo/,
    );
  });

  it('reports a main file not named after its folder', async () => {
    await failsPermanently(
      'mism',
      'plugin = "mismatch"',
      /has no mismatch.ts: a plugin's main file must be named after its folder \(found other.ts/,
    );
  });

  it('reports a missing required function', async () => {
    await failsPermanently('halfway', 'plugin = "half"', /missing the required function stopPlugin\(\)/);
  });

  it('reports an invalid Domoticz definition', async () => {
    await failsPermanently(
      'baddef',
      'plugin = "bad_definition"',
      /definition exported by .* is invalid: key: must use only letters, digits/,
    );
  });

  it('reports a missing required parameter and a value outside the options, at once', async () => {
    await failsPermanently(
      'params',
      'plugin = "domoticz_all"\nmode1 = "green"',
      /\[plugins.params\] address \(Address\) is required by plugin domoticz_all and has no value; \[plugins.params\] mode1 \(Colour\) = "green": must be one of "r" \(Red\), "b" \(Blue\)/,
    );
  });

  it('restarts (with backoff) a module that fails to load, with the cause at error level', async () => {
    stack.config(`[plugins.broke]\nenabled = true\nplugin = "broken"\n${FAST_RESTARTS}\n`);
    const runner = stack.runner('broke');
    await until(() => notices('broke').filter((notice) => notice.type === 'plugin_failed').length >= 2);
    expect(notices('broke')[0]!.data.reason).toMatch(
      /broken.ts failed to load: this plugin module fails to load on purpose/,
    );
    expect(
      runner.lines.some(
        (line) => line.includes('"level":"error"') && line.includes('fails to load on purpose'),
      ),
    ).toBe(true);
    expect(await runner.stop()).toBe(0);
  });

  it('reports a configuration error thrown by startPlugin as permanent, without restarting', async () => {
    await failsPermanently(
      'config',
      `plugin = "power_crash"\nmode = "config"\n${FAST_RESTARTS}`,
      /plugin cannot start: \[plugins.config\] mode = "config": this setting is refused on purpose/,
    );
    // Refused before it counted as started, and never tried again.
    expect(notices('config').map((notice) => notice.type)).toEqual(['plugin_failed']);
  });

  it('also when the shared ConfigError comes after startPlugin has waited', async () => {
    await failsPermanently(
      'late',
      `plugin = "power_crash"\nmode = "late_config"\n${FAST_RESTARTS}`,
      /plugin cannot start: invalid configuration:\n {2}- \[plugins.late\] mode = "late_config": refused after a while/,
    );
    expect(notices('late').filter((notice) => notice.type === 'plugin_failed')).toHaveLength(1);
    expect(notices('late').filter((notice) => notice.type === 'plugin_started')).toHaveLength(1);
  });

  it('exits 0 and reports plugin_disabled, at info level, for an id without a config block', async () => {
    const path = stack.config('[plugins.other]\nenabled = true\n');
    const runner = stack.runner('ghost');
    expect(await runner.exited).toBe(0);
    const line = runner.lines.find((text) => text.includes('has no [plugins.ghost] block'));
    expect(line, runner.lines.join('\n')).toBeDefined();
    expect(parseLine(line!)).toMatchObject({ level: 'info', config: path, blocks: ['other'] });
    expect(parseLine(line!).msg).toMatch(
      /plugin ghost is not configured: .* add \[plugins.ghost\] with enabled = true/,
    );
    expect(runner.lines.some((text) => text.includes('"level":"error"'))).toBe(false);
    await until(() => notices('ghost').length > 0);
    expect(notices('ghost')).toEqual([
      { type: 'plugin_disabled', data: { plugin: 'ghost', reason: 'not_configured' } },
    ]);
  });

  it('still exits 78 for a block that exists but is invalid', async () => {
    stack.config('[plugins.invalid]\nenabled = "yes"\nplugin = "power_echo"\n');
    const runner = stack.runner('invalid');
    expect(await runner.exited).toBe(78);
    expect(runner.lines.join('\n')).toMatch(
      /plugins.invalid.enabled = "yes" .*: is required \(true or false\)/,
    );
  });
});
