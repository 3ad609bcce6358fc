import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicFor, topics } from '@wattbus/shared';
import {
  REPO_ROOT,
  type ServiceProcess,
  spawnNode,
  startMosquitto,
  type TestBroker,
  TestClient,
  tempDir,
} from '../../../test/helpers/index.js';

/** The plugins the runner tests load (TypeScript, run through tsx like a plugin just written). */
export const FIXTURES = join(REPO_ROOT, 'services/plugin-runner/test/fixtures/plugins');
export const ROOTS = { base: 'wattbus', discovery: 'homeassistant' };

export interface Stack {
  broker: TestBroker;
  client: TestClient;
  dir: string;
  registry: ServiceProcess | undefined;
  /** Writes config.toml (with [mqtt] url added) and returns its path. */
  config(text: string): string;
  runner(
    id: string,
    options?: {
      env?: Record<string, string>;
      pluginsDir?: string;
      configPath?: string;
      /** Give the id in WATTBUS_PLUGIN_ID instead of as the argument. */
      idFromEnvironment?: boolean;
      /** Give the config file as `--config <path>` instead of in WATTBUS_CONFIG. */
      configFlag?: boolean;
    },
  ): ServiceProcess;
  /** A bridge API request through MQTT, answered by the registry. */
  bridge(
    path: string,
    payload: Record<string, unknown>,
  ): Promise<{ status: string; data?: unknown; error?: string }>;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * A broker (Mosquitto), an MQTT test client subscribed to everything, and optionally the real device registry,
 * all on free loopback ports with throwaway data.
 */
export async function startStack(options: { registry?: boolean } = {}): Promise<Stack> {
  const broker = await startMosquitto();
  const dir = tempDir('wattbus-runner-');
  const client = await TestClient.connect(broker.url);
  await client.subscribe(['wattbus/#', 'homeassistant/#']);
  // A sampler would have published one: power-style plugins start as soon as it arrives.
  await client.publish(topicFor(topics.readings, ROOTS, {}), readingPayload(100), { retain: true });
  const processes: ServiceProcess[] = [];
  let configPath = join(dir.path, 'config.toml');
  const stack: Stack = {
    broker,
    client,
    dir: dir.path,
    registry: undefined,
    config(text) {
      configPath = join(dir.path, `config-${++counter}.toml`);
      writeFileSync(configPath, `[mqtt]\nurl = "${broker.url}"\n\n${text}\n`);
      return configPath;
    },
    runner(id, runnerOptions = {}) {
      const runner = spawnNode(
        `runner-${id}`,
        'services/plugin-runner/dist/main.js',
        {
          WATTBUS_CONFIG: runnerOptions.configFlag ? undefined : (runnerOptions.configPath ?? configPath),
          WATTBUS_PLUGIN_ID: runnerOptions.idFromEnvironment ? id : undefined,
          ...runnerOptions.env,
        },
        [
          ...(runnerOptions.idFromEnvironment ? [] : [id]),
          '--plugins-dir',
          runnerOptions.pluginsDir ?? FIXTURES,
          ...(runnerOptions.configFlag ? ['--config', runnerOptions.configPath ?? configPath] : []),
        ],
      );
      processes.push(runner);
      return runner;
    },
    async bridge(path, payload) {
      const transaction = `t${++counter}`;
      const response = client.waitForJson<{
        status: string;
        data?: unknown;
        error?: string;
        transaction?: string;
      }>(topicFor(topics.bridgeResponse, ROOTS, { path }), (value) => value.transaction === transaction);
      await client.publish(
        topicFor(topics.bridgeRequest, ROOTS, { path }),
        JSON.stringify({ ...payload, transaction }),
      );
      return response;
    },
    async stop() {
      await Promise.all(processes.map((process) => process.stop(3000)));
      await stack.registry?.stop(3000);
      await client.close();
      await broker.stop();
      dir.remove();
    },
  };
  if (options.registry) {
    stack.registry = spawnNode('registry', 'services/device-registry/dist/main.js', {
      WATTBUS_CONFIG: undefined,
      WATTBUS_MQTT_URL: broker.url,
      WATTBUS__REGISTRY__DATABASE: join(dir.path, 'registry.db'),
      WATTBUS__REGISTRY__HTTP_PORT: '0',
      WATTBUS__HOMEASSISTANT__CLEANUP_SCAN_SECONDS: '0',
    });
    await client.waitFor(
      topicFor(topics.registryState, ROOTS, {}),
      (message) => message.text === 'online',
      30_000,
    );
  }
  return stack;
}

/** A log line of a runner, parsed. */
export function parseLine(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
}

/** Waits for a JSON log line whose msg starts with `msg` (a regular expression source), and returns it parsed. */
export async function waitForMessage(
  process: ServiceProcess,
  msg: string,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const line = await process.waitForLine(new RegExp(`"msg":"${msg}`), timeoutMs);
  return parseLine(line);
}

/** Every parsed log line so far whose msg matches. */
export function messages(process: ServiceProcess, msg: RegExp): Record<string, unknown>[] {
  return process.lines
    .filter((line) => line.startsWith('{'))
    .map(parseLine)
    .filter((entry) => typeof entry.msg === 'string' && msg.test(entry.msg));
}

/**
 * Resolves once the registry has relayed the plugin's plugin_started notice: it has then also seen the plugin's
 * state go online (both come from the runner, in that order), so commands for the plugin are routed.
 */
export async function registrySeesStarted(client: TestClient, hw: string): Promise<void> {
  await client.waitForJson(
    topicFor(topics.bridgeEvent, ROOTS, {}),
    (event: { type: string; data: { plugin?: string } }) =>
      event.type === 'plugin_started' && event.data.plugin === hw,
    30_000,
  );
}

export function lifecycleTopic(hw: string): string {
  return topicFor(topics.pluginLifecycle, ROOTS, { hw });
}

export function stateTopic(hw: string): string {
  return topicFor(topics.pluginState, ROOTS, { hw });
}

export function readingPayload(power: number, timestamp = new Date().toISOString()): string {
  return JSON.stringify({
    cts: { '1': { power, pf: 0.9, current: power / 240, voltage: 240 } },
    production: { power: 0, pf: 0, current: 0 },
    'home-consumption': { power, current: power / 240 },
    net: { power, current: power / 240 },
    voltage: 240,
    timestamp,
  });
}
