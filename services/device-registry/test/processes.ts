import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Bus,
  createBridgeRequestClient,
  createLogger,
  createPluginRequestClient,
  MqttSection,
  type PluginRequestClient,
  topicFor,
  topics,
} from '@wattbus/shared';
import type { TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { type ServiceProcess, spawnNode } from '../../../test/helpers/processes.js';

export const ROOTS = { base: 'wattbus', discovery: 'homeassistant' };
const silent = createLogger({ service: 'test', level: 'silent' });
let clients = 0;

export interface RegistryProcess {
  process: ServiceProcess;
  httpPort: number;
  database: string;
}

/**
 * Starts the compiled registry as a real process against a broker. An empty config file keeps a developer's
 * ./config.toml out of the test; everything else comes from the environment, as in docker-compose.
 */
export async function startRegistryProcess(
  broker: TestBroker,
  dataDir: string,
  env: Record<string, string> = {},
  configDir = dataDir,
): Promise<RegistryProcess> {
  const configFile = join(configDir, 'config.toml');
  writeFileSync(configFile, '# test: settings come from the environment\n');
  const httpPort = await freePort();
  const database = join(dataDir, 'registry.db');
  const registry = spawnNode('registry', 'services/device-registry/dist/main.js', {
    WATTBUS_CONFIG: configFile,
    WATTBUS_MQTT_URL: broker.url,
    // Two registries on one broker must not take over each other's connection.
    WATTBUS_MQTT_CLIENT_ID: `wattbus-registry-test-${process.pid}-${++clients}`,
    WATTBUS__REGISTRY__DATABASE: database,
    WATTBUS__REGISTRY__HTTP_PORT: String(httpPort),
    WATTBUS__REGISTRY__SYNCHRONOUS: 'normal',
    WATTBUS__HOMEASSISTANT__CLEANUP_SCAN_SECONDS: '0.5',
    WATTBUS__HOMEASSISTANT__BIRTH_DELAY_MIN: '0',
    WATTBUS__HOMEASSISTANT__BIRTH_DELAY_MAX: '0.2',
    ...env,
  });
  await registry.waitForLine(/"msg":"registry ready"/, 30_000);
  return { process: registry, httpPort, database };
}

/** A stand-in plugin runner: its own state topic (online, will offline) and the plugin request client. */
export async function connectPlugin(
  broker: TestBroker,
  hardware: string,
  protocolVersion: 4 | 5 = 5,
): Promise<{ bus: Bus; client: PluginRequestClient }> {
  const bus = Bus.connect({
    service: `test-plugin-${hardware}`,
    mqtt: MqttSection.parse({
      url: broker.url,
      client_id: `test-plugin-${hardware}-${process.pid}-${++clients}`,
      protocol_version: protocolVersion,
    }),
    stateTopic: topicFor(topics.pluginState, ROOTS, { hw: hardware }),
    logger: silent,
  });
  const client = createPluginRequestClient(bus, hardware, 15_000);
  await bus.waitUntilConnected();
  return { bus, client };
}

export async function connectBridgeClient(broker: TestBroker) {
  const bus = Bus.connect({
    service: 'test-bridge',
    mqtt: MqttSection.parse({ url: broker.url, client_id: `test-bridge-${process.pid}-${++clients}` }),
    logger: silent,
  });
  const client = createBridgeRequestClient(bus, 15_000);
  await bus.waitUntilConnected();
  return { bus, client };
}

/**
 * Reads a retained topic from the broker's store with a fresh subscription, until `predicate` holds: what Home
 * Assistant or any client gets when it (re)subscribes. (Live delivery of retained messages is not relied on: the
 * embedded broker has been seen to miss some with aedes-persistence-level; see docs/registry.md.)
 */
export async function readRetained(
  url: string,
  topic: string,
  predicate: (text: string) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    const client = await TestClient.connect(url, { protocolVersion: 4 });
    try {
      await client.subscribe(topic);
      const message = await client.waitFor(topic, (m) => m.retain, 400).catch(() => undefined);
      last = message?.text;
      if (message && predicate(message.text)) return message.text;
    } finally {
      await client.close();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `retained ${topic} never matched within ${timeoutMs} ms; last: ${last === undefined ? '(none)' : last.slice(0, 300)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function readRetainedJson<T>(
  url: string,
  topic: string,
  predicate: (value: T) => boolean = () => true,
): Promise<T> {
  const text = await readRetained(url, topic, (raw) => {
    try {
      return predicate(JSON.parse(raw) as T);
    } catch {
      return false;
    }
  });
  return JSON.parse(text) as T;
}

/** Resolves once a retained topic is empty (cleared) in the broker's store. */
export async function waitUntilCleared(url: string, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = await TestClient.connect(url, { protocolVersion: 4 });
    try {
      await client.subscribe(topic);
      // Nothing retained arrives within a second: the topic is empty.
      const message = await client.waitFor(topic, (m) => m.retain, 1000).catch(() => undefined);
      if (!message) return;
    } finally {
      await client.close();
    }
    if (Date.now() > deadline) throw new Error(`retained ${topic} was not cleared within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
