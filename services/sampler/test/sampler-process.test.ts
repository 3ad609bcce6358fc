import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeEvent, CtReading, Energy, Reading } from '@wattbus/shared';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ServiceProcess,
  spawnNode,
  startMosquitto,
  startWattbusBroker,
  stopAllProcesses,
  TEST_CHANNELS,
  type TestBroker,
  TestClient,
  tempDir,
} from '../../../test/helpers/index.js';

const SAMPLER = 'services/sampler/dist/main.js';

interface Setup {
  dir: string;
  config: string;
  energyFile: string;
  faultFile: string;
}

/** A config.toml for a fast simulated sampler at midday, with its files in a temporary directory. */
function setup(dir: string, extra = ''): Setup {
  const energyFile = join(dir, 'data', 'energy.json');
  const faultFile = join(dir, 'fault');
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    `${TEST_CHANNELS}
[sampler]
source = "simulated"
samples_per_batch = 200
simulation_start = "12:00"
simulation_speed = 10
energy_file = "${energyFile}"
energy_persist_interval = 1
energy_publish_interval = 1
retry_initial_delay = 0.1
retry_max_delay = 0.4
simulation_fault_file = "${faultFile}"
${extra}
`,
  );
  return { dir, config, energyFile, faultFile };
}

/** Payloads stamped at or after `time` (epoch ms), i.e. from a process started then. */
function publishedSince(time: number): (payload: { timestamp: string }) => boolean {
  return (payload) => Date.parse(payload.timestamp) >= time;
}

/** Writes the fault file atomically, so the sampler never reads it half written. */
function injectFault(files: Setup, fault: string): void {
  writeFileSync(`${files.faultFile}.tmp`, fault);
  renameSync(`${files.faultFile}.tmp`, files.faultFile);
}

function startSampler(broker: TestBroker, files: Setup, env: Record<string, string> = {}): ServiceProcess {
  return spawnNode('sampler', SAMPLER, {
    WATTBUS_CONFIG: files.config,
    WATTBUS_MQTT_URL: broker.url,
    ...env,
  });
}

const totalWh = (energy: Energy) =>
  Object.values(energy.cts).reduce((sum, c) => sum + c!.import_wh + c!.export_wh, 0) +
  energy.home.import_wh +
  energy.net.export_wh +
  energy.net.import_wh +
  energy.production.import_wh;

/** Every counter of `later` is at least that of `earlier`. */
function expectNoDecrease(earlier: Energy, later: Energy): void {
  for (const [key, counter] of Object.entries(earlier.cts)) {
    expect(later.cts[key as '1']!.import_wh).toBeGreaterThanOrEqual(counter!.import_wh);
    expect(later.cts[key as '1']!.export_wh).toBeGreaterThanOrEqual(counter!.export_wh);
  }
  for (const group of ['home', 'production', 'net'] as const) {
    expect(later[group].import_wh).toBeGreaterThanOrEqual(earlier[group].import_wh);
    expect(later[group].export_wh).toBeGreaterThanOrEqual(earlier[group].export_wh);
  }
}

describe('sampler process on the embedded broker', () => {
  let broker: TestBroker;
  let dir: { path: string; remove(): void };
  let client: TestClient;

  beforeAll(async () => {
    dir = tempDir('wattbus-sampler-');
    broker = await startWattbusBroker();
    client = await TestClient.connect(broker.url);
    await client.subscribe('wattbus/#');
  });

  afterAll(async () => {
    await client?.close();
    await stopAllProcesses();
    await broker?.stop();
    dir?.remove();
  });

  it('publishes retained readings, channels and energy that match the contract, exporting at midday', async () => {
    const files = setup(dir.path);
    const sampler = startSampler(broker, files);
    await client.waitFor('wattbus/sampler/state', (m) => m.text === 'online');
    const reading = Reading.parse(await client.waitForJson('wattbus/readings'));
    expect(Object.keys(reading.cts)).toEqual(['1', '2', '3']);
    expect(reading.net.power).toBeLessThan(0);
    expect(reading.net.current).toBeLessThan(0);
    expect(reading.production.power).toBeGreaterThan(1000);
    expect(reading.voltage).toBeGreaterThan(230);
    expect(reading.frequency).toBeGreaterThan(49.9);
    expect(reading.frequency).toBeLessThan(50.1);
    expect(Date.now() - Date.parse(reading.timestamp)).toBeLessThan(10_000);
    for (const n of [1, 2, 3]) {
      const ct = CtReading.parse(await client.waitForJson(`wattbus/readings/ct/${n}`));
      expect(ct.type).toBe(['mains', 'production', 'consumption'][n - 1]);
    }
    expect(CtReading.parse(await client.waitForJson('wattbus/readings/ct/2')).name).toBe('Solar');
    const energy = Energy.parse(
      await client.waitForJson('wattbus/energy', (e: Energy) => e.net.export_wh > 0),
    );
    expect(energy.net.import_wh).toBe(0);
    expect(energy.production.import_wh).toBeGreaterThan(0);

    // A late subscriber gets all of it retained.
    const late = await TestClient.connect(broker.url);
    await late.subscribe([
      'wattbus/readings',
      'wattbus/readings/ct/+',
      'wattbus/energy',
      'wattbus/sampler/state',
    ]);
    for (const topic of [
      'wattbus/readings',
      'wattbus/readings/ct/3',
      'wattbus/energy',
      'wattbus/sampler/state',
    ]) {
      // A live publication can overtake the retained one; the retained one must come.
      expect((await late.waitFor(topic, (m) => m.retain)).retain).toBe(true);
    }
    await late.close();

    // SIGTERM: exit 0, state offline, and the counters saved for the next start.
    client.clear();
    expect(await sampler.stop()).toBe(0);
    await client.waitFor('wattbus/sampler/state', (m) => m.text === 'offline');
    const saved = JSON.parse(readFileSync(files.energyFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.net.export_wh).toBeGreaterThan(0);
    expect(saved.net.export_wh).toBeGreaterThanOrEqual(energy.net.export_wh);
  });

  it('continues the energy counters across a restart and after kill -9 never lets them go backwards', async () => {
    const files = setup(dir.path);
    const before = JSON.parse(readFileSync(files.energyFile, 'utf8')) as Energy;
    client.clear();
    let started = Date.now();
    let sampler = startSampler(broker, files);
    const first = Energy.parse(await client.waitForJson('wattbus/energy', publishedSince(started)));
    expectNoDecrease(before, first);
    // Let a few publications and saves happen, then crash.
    const seen = Energy.parse(
      await client.waitForJson('wattbus/energy', (e: Energy) => totalWh(e) > totalWh(first) + 5, 20_000),
    );
    await sampler.kill9();
    const published = client.messages
      .filter((m) => m.topic === 'wattbus/energy')
      .map((m) => Energy.parse(JSON.parse(m.text)));
    const lastPublished = published.at(-1)!;
    expectNoDecrease(seen, lastPublished);
    // What was lost on disk is at most about one persistence interval (1 s) of energy, plus timer slack.
    const onDisk = JSON.parse(readFileSync(files.energyFile, 'utf8')) as Energy;
    const whPerSecond =
      (totalWh(lastPublished) - totalWh(first)) /
      ((Date.parse(lastPublished.timestamp) - Date.parse(first.timestamp)) / 1000);
    expect(totalWh(lastPublished) - totalWh(onDisk)).toBeLessThan(whPerSecond * 3);
    client.clear();
    started = Date.now();
    sampler = startSampler(broker, files);
    // Messages of the killed process may still be on their way: wait for the new process's own.
    const resumed = Energy.parse(await client.waitForJson('wattbus/energy', publishedSince(started)));
    // The retained counters on the broker were ahead of the file; the sampler continues from them.
    expectNoDecrease(lastPublished, resumed);
    expect(await sampler.stop()).toBe(0);

    // A lost energy file (a new container without its volume) does not reset the published counters either.
    const beforeLoss = Energy.parse(
      JSON.parse(client.messages.filter((m) => m.topic === 'wattbus/energy').at(-1)!.text),
    );
    rmSync(files.energyFile);
    client.clear();
    started = Date.now();
    sampler = startSampler(broker, files);
    expectNoDecrease(
      beforeLoss,
      Energy.parse(await client.waitForJson('wattbus/energy', publishedSince(started))),
    );
    expect(await sampler.stop()).toBe(0);
  });

  it('reports ADC faults as events, goes offline, retries with backoff and recovers', async () => {
    const files = setup(dir.path);
    expect(existsSync(files.faultFile), readdirSync(dir.path).join(',')).toBe(false);
    client.clear();
    const started = Date.now();
    const sampler = startSampler(broker, files);
    // A reading of this process (not a late message of the one before) shows that it samples and is online.
    await client.waitForJson('wattbus/readings', publishedSince(started));

    client.clear();
    injectFault(files, 'transfer');
    const fault = BridgeEvent.parse(
      await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_fault'),
    );
    expect(fault.data).toMatchObject({
      kind: 'transfer_failed',
      source: 'simulated household (emulated MCP3008)',
    });
    expect(String(fault.data.message)).toMatch(/EIO/);
    await client
      .waitFor('wattbus/sampler/state', (m) => m.text === 'offline')
      .catch((error) => {
        throw new Error(`${error}\n${sampler.lines.join('\n')}`);
      });
    // Retries back off (0.1, 0.2, 0.4, 0.4 ... s): a handful of attempts, not a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const attempts = sampler.lines.filter((line) => line.includes('ADC fault')).length;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThan(10);
    expect(client.messages.filter((m) => m.topic === 'wattbus/bridge/event')).toHaveLength(1);
    expect(
      sampler.lines.some((line) => /"level":"error".*ADC fault: emulated SPI transfer failed/.test(line)),
    ).toBe(true);

    client.clear();
    rmSync(files.faultFile);
    const recovered = BridgeEvent.parse(
      await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_recovered'),
    );
    expect(recovered.data.kind).toBe('transfer_failed');
    await client.waitFor('wattbus/sampler/state', (m) => m.text === 'online');

    client.clear();
    injectFault(files, 'flat_voltage');
    const flat = BridgeEvent.parse(
      await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_fault'),
    );
    expect(flat.data.kind).toBe('flat_voltage');
    expect(String(flat.data.message)).toMatch(/AC transformer/);
    rmSync(files.faultFile);
    await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_recovered');

    client.clear();
    injectFault(files, 'open');
    await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_fault');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sampler.lines.some((line) => line.includes('cannot open the emulated MCP3008'))).toBe(true);
    rmSync(files.faultFile);
    await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_recovered');
    expect(sampler.child.exitCode).toBeNull();
    expect(await sampler.stop()).toBe(0);
  });

  it('stays up when the MCP3008 cannot be opened, reporting the fault', async () => {
    const files = setup(dir.path, 'spi_bus = 9\nspi_device = 7\n');
    writeFileSync(
      files.config,
      readFileSync(files.config, 'utf8').replace('source = "simulated"', 'source = "mcp3008"'),
    );
    client.clear();
    const sampler = startSampler(broker, files);
    const fault = BridgeEvent.parse(
      await client.waitForJson('wattbus/bridge/event', (e: BridgeEvent) => e.type === 'sampler_fault'),
    );
    expect(fault.data).toMatchObject({ kind: 'open_failed', source: '/dev/spidev9.7' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sampler.child.exitCode).toBeNull();
    expect(await sampler.stop()).toBe(0);
  });

  it('keeps sampling and publishing when the energy file cannot be written', async () => {
    const files = setup(dir.path);
    writeFileSync(join(dir.path, 'blocked-data'), 'not a directory');
    writeFileSync(
      files.config,
      readFileSync(files.config, 'utf8').replace(
        /energy_file = ".*"/,
        `energy_file = "${join(dir.path, 'blocked-data', 'energy.json')}"`,
      ),
    );
    client.clear();
    const started = Date.now();
    const sampler = startSampler(broker, files);
    await sampler.waitForLine(/cannot save the energy counters/);
    await client.waitForJson('wattbus/readings', publishedSince(started));
    await client.waitForJson('wattbus/energy', publishedSince(started));
    expect(sampler.child.exitCode).toBeNull();
    expect(await sampler.stop()).toBe(0);
  }, 60_000);
});

describe('sampler configuration errors', () => {
  const dir = tempDir('wattbus-sampler-config-');
  afterAll(() => dir.remove());

  it.each([
    [
      'a rating of "100A"',
      '[current_transformers.channel_1]\nrating = "100A"\nenabled = true\n',
      /current_transformers\.channel_1\.rating = "100A".*whole number of amps/,
    ],
    [
      'a transformer voltage of 0',
      `${TEST_CHANNELS}[grid_voltage]\nac_transformer_output_voltage = 0\n`,
      /grid_voltage\.ac_transformer_output_voltage = 0.*greater than 0/,
    ],
    [
      'no enabled channel',
      '[current_transformers.channel_4]\nrating = 30\nenabled = false\n',
      /at least one channel must be enabled/,
    ],
  ])('exits 78 naming the key for %s', async (_name, text, message) => {
    const config = join(dir.path, 'config.toml');
    writeFileSync(config, text);
    const sampler = spawnNode('sampler', SAMPLER, {
      WATTBUS_CONFIG: config,
      WATTBUS_MQTT_URL: 'mqtt://127.0.0.1:1',
    });
    expect(await sampler.exited).toBe(78);
    expect(sampler.lines.join('\n')).toMatch(message);
  });
});

describe('sampler on Mosquitto', () => {
  it('sets an MQTT 5 message expiry on retained readings', async () => {
    const broker = await startMosquitto();
    const dir = tempDir('wattbus-sampler-mosquitto-');
    const sampler = startSampler(broker, setup(dir.path, 'readings_expiry = 7\n'));
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const expiry = await new Promise<number | undefined>((resolve) => {
        client.on('message', (topic, _payload, packet) => {
          if (topic === 'wattbus/readings') resolve(packet.properties?.messageExpiryInterval);
        });
        void client.subscribeAsync('wattbus/readings');
      });
      expect(expiry).toBeGreaterThan(0);
      expect(expiry).toBeLessThanOrEqual(7);
    } finally {
      await client.endAsync();
      await sampler.stop();
      await broker.stop();
      dir.remove();
    }
  });
});
