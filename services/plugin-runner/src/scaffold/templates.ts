/** The files `npm run create-plugin` writes. Each template runs and passes its test as generated. */

export type PluginStyle = 'power' | 'domoticz';

export interface TemplateContext {
  name: string;
  style: PluginStyle;
  /** Import path of the runner test harness, relative to the new plugin's folder. */
  harnessImport: string;
}

function title(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
}

export function configBlock({ name, style }: TemplateContext): string {
  if (style === 'power') {
    return `[plugins.${name}]\nenabled = true\n# log_level = "debug"\ninterval = 10               # seconds between log lines (an example setting)\n`;
  }
  return `[plugins.${name}]\nenabled = true\nname = "${title(name)}"\nmode1 = "10"                  # heartbeat in seconds\n`;
}

function powerPlugin({ name }: TemplateContext): string {
  return `import { type PowerPlugin, sleepFor } from '@wattbus/plugin-runner';

/**
 * ${name}: a wattbus plugin in the power monitor's style. README.md says what it does; docs/plugins.md is the
 * plugin author's guide.
 */

/**
 * The plugin's main body. \`data\` always holds the latest reading (read-only), \`config\` is the
 * [plugins.${name}] block of config.toml, \`logger\` logs at the block's log_level.
 */
export const startPlugin: PowerPlugin['startPlugin'] = async (data, stopFlag, config, logger) => {
  const interval = Number(config.interval ?? 10);
  logger.info({ interval }, '${name} started');
  while (!stopFlag.isSet()) {
    logger.info({ power: data['home-consumption']?.power, timestamp: data.timestamp }, 'home consumption');
    // Never block or busy-wait: sleepFor returns early when the plugin is stopped.
    await sleepFor(interval, stopFlag);
  }
};

/** Called when the plugin stops: close connections and clear timers here. */
export function stopPlugin(): void {}
`;
}

function domoticzPlugin({ name }: TemplateContext): string {
  return `import { type Color, definePlugin, devices, domoticz, parameters, Unit } from '@wattbus/plugin-runner';

/**
 * ${name}: a wattbus plugin in the Domoticz style. README.md says what it does; docs/plugins.md is the plugin
 * author's guide.
 */
export const definition = definePlugin({
  key: '${name}',
  name: '${title(name)}',
  version: '1.0.0',
  author: '',
  description: 'What ${title(name)} does.',
  params: [{ field: 'mode1', label: 'Heartbeat (seconds)', default: '10' }],
});

export const DEVICE_ID = '${name}';
export const SWITCH_UNIT = 1;

export async function onStart(): Promise<void> {
  domoticz.heartbeat(Number(parameters.mode1) || 10);
  // Units live in the registry and survive restarts: create each one only once.
  if (!devices[DEVICE_ID]?.units[SWITCH_UNIT]) {
    await new Unit({
      name: 'Switch',
      deviceId: DEVICE_ID,
      unit: SWITCH_UNIT,
      typeName: 'Switch',
      used: true,
    }).create();
  }
  domoticz.log('started');
}

export async function onCommand(
  deviceId: string,
  unit: number,
  command: string,
  _level: number,
  _color: Color | null,
): Promise<void> {
  const target = devices[deviceId]?.units[unit];
  if (!target || (command !== 'On' && command !== 'Off')) {
    domoticz.error(\`cannot \${command} \${deviceId}/\${unit}\`);
    return;
  }
  // Drive your hardware here, then report the new state.
  target.nValue = command === 'On' ? 1 : 0;
  target.sValue = command;
  await target.update();
}

export function onHeartbeat(): void {
  // Periodic work: poll the hardware, reconnect a lost Connection, ...
}

export function onStop(): void {
  domoticz.log('stopping');
}
`;
}

function powerTest({ name, harnessImport }: TemplateContext): string {
  return `import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ROOTS,
  readingPayload,
  type Stack,
  startStack,
  waitForMessage,
} from '${harnessImport}';

// Runs the plugin in the real plugin runner, with a real broker.
const pluginsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

it('starts and logs the home consumption of the latest reading', async () => {
  await stack.client.publish(topicFor(topics.readings, ROOTS, {}), readingPayload(321), { retain: true });
  stack.config('[plugins.${name}]\\nenabled = true\\ninterval = 1\\n');
  const runner = stack.runner('${name}', { pluginsDir });
  await waitForMessage(runner, '${name} started');
  const line = await runner.waitForLine(/"power":321,.*"msg":"home consumption"/);
  expect(line).toContain('"plugin":"${name}"');
  expect(await runner.stop()).toBe(0);
});
`;
}

function domoticzTest({ name, harnessImport }: TemplateContext): string {
  return `import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ROOTS,
  registrySeesStarted,
  type Stack,
  startStack,
} from '${harnessImport}';

// Runs the plugin in the real plugin runner, with a real broker and the real device registry.
const pluginsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ registry: true });
});
afterAll(async () => {
  await stack?.stop();
});

it('creates its switch and follows an On command', async () => {
  stack.config('[plugins.${name}]\\nenabled = true\\n');
  const runner = stack.runner('${name}', { pluginsDir });
  await registrySeesStarted(stack.client, '${name}');
  const address = { hw: '${name}', device: '${name}', unit: 1 };
  await stack.client.waitFor(topicFor(topics.unitState, ROOTS, address));
  await stack.client.publish(topicFor(topics.unitSet, ROOTS, address), 'On');
  const state = await stack.client.waitForJson<{ nValue: number; sValue: string }>(
    topicFor(topics.unitState, ROOTS, address),
    (value) => value.nValue === 1,
  );
  expect(state.sValue).toBe('On');
  expect(await runner.stop()).toBe(0);
});
`;
}

function readme(context: TemplateContext): string {
  const { name, style } = context;
  const api =
    style === 'power'
      ? "the power monitor's plugin API (`startPlugin` / `stopPlugin`)"
      : 'the Domoticz-style plugin API (a definition and `on...` callbacks)';
  return `# ${name}

## Purpose

Say what ${title(name)} does and why someone would want it. It is a wattbus plugin written with ${api}; see
[docs/plugins.md](../../docs/plugins.md).

## Setup & Usage

Add this block to \`config.toml\`:

\`\`\`toml
${configBlock(context).trimEnd()}
\`\`\`

Then run it with the rest of wattbus (\`npm start\`, or its own container), or alone:

\`\`\`bash
WATTBUS_PLUGIN_ID=${name} node services/plugin-runner/dist/main.js
\`\`\`

Describe every setting of the block, and what the plugin publishes or changes${style === 'domoticz' ? ` (its units: DeviceID \`${name}\`, unit 1, a switch at \`wattbus/devices/${name}/${name}/1/set\`)` : ''}.

## Modifications

Explain how to adapt the plugin: which settings or code to change for other hardware or other figures.

## Support

Say where to ask questions and report problems, and who maintains this plugin. Its test, \`${name}.test.ts\`,
runs it in the real plugin runner: \`npx vitest run plugins/${name}\`.
`;
}

/** The files of a new plugin, by file name. */
export function pluginFiles(context: TemplateContext): Record<string, string> {
  const { name, style } = context;
  return {
    [`${name}.ts`]: style === 'power' ? powerPlugin(context) : domoticzPlugin(context),
    [`${name}.test.ts`]: style === 'power' ? powerTest(context) : domoticzTest(context),
    'README.md': readme(context),
  };
}
