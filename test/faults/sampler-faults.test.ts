import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BridgeEvent, Energy, type UnitState } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../helpers/brokers.js';
import { TestClient } from '../helpers/mqtt.js';
import { REPO_ROOT, stopAllProcesses } from '../helpers/processes.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { commandUnit, counterDecreases, FIXTURE_PLUGINS, parseLog, sleep, totalWh } from './support.js';

/**
 * Issue 8, fault 4: the sampler under ADC trouble and a crash, with the registry and plugins running. ADC read
 * errors, a flat voltage channel and a device that cannot be opened each give one fault event, retries with
 * backoff and a recovery, never a crash loop, and nobody else is disturbed. A `kill -9` loses at most one
 * persistence interval of energy, and the energy counters, on the bus and in a plugin's unit, never go backwards.
 */

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const PERSIST_INTERVAL = 1;
const CONFIG = `
[plugins.example]
enabled = true
mode2 = "1"

[plugins.probe]
enabled = true
plugin = "fault_probe"
mirror_interval = 0.5
`;

let broker: TestBroker;
let stack: Stack;
let watcher: TestClient;
let faultFile: string;
const METER = 'wattbus/devices/example/example/1';
/** Every energy publication, in order of arrival. */
const energy: Energy[] = [];
/** The energy (kWh) of the example plugin's meter unit, which it feeds from the counters, in order of arrival. */
const meterEnergy: number[] = [];

beforeAll(async () => {
  broker = await startWattbusBroker();
  watcher = await TestClient.connect(broker.url);
  watcher.client.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    if (topic === 'wattbus/energy') energy.push(Energy.parse(JSON.parse(String(payload))));
    if (topic === METER) meterEnergy.push((JSON.parse(String(payload)) as { energy?: number }).energy ?? 0);
  });
  await watcher.subscribe(['wattbus/#']);
  const faultDir = join(broker.dataDir, 'faults');
  faultFile = join(faultDir, 'adc');
  mkdirSync(faultDir, { recursive: true });
  stack = await startStack(broker, {
    plugins: ['example', 'probe'],
    pluginsDir: { example: join(REPO_ROOT, 'plugins'), probe: FIXTURE_PLUGINS },
    extraConfig: CONFIG,
    env: {
      WATTBUS__SAMPLER__SIMULATION_FAULT_FILE: faultFile,
      WATTBUS__SAMPLER__RETRY_INITIAL_DELAY: '0.2',
      WATTBUS__SAMPLER__RETRY_MAX_DELAY: '0.8',
      WATTBUS__SAMPLER__ENERGY_PERSIST_INTERVAL: String(PERSIST_INTERVAL),
      WATTBUS__SAMPLER__ENERGY_PUBLISH_INTERVAL: '1',
    },
  });
  await watcher.waitForJson(
    'wattbus/bridge/event',
    (event: BridgeEvent) => event.type === 'plugin_started' && event.data.plugin === 'probe',
    40_000,
  );
  await watcher.waitFor('wattbus/devices/probe/probe/2', undefined, 20_000);
});

afterAll(async () => {
  await watcher?.close();
  await stack?.stop();
  await stopAllProcesses();
  await broker?.stop();
});

/** Writes the fault file atomically, so the sampler never reads it half written. */
function injectFault(fault: string): void {
  const dir = join(faultFile, '..');
  writeFileSync(join(dir, 'next'), fault, { flag: 'w' });
  renameSync(join(dir, 'next'), faultFile);
}

const events = (type: string) =>
  watcher.messages
    .filter((m) => m.topic === 'wattbus/bridge/event')
    .map((m) => JSON.parse(m.text) as BridgeEvent)
    .filter((event) => event.type === type);

describe('the sampler under ADC faults, in the running stack', () => {
  it.each([
    ['transfer', 'transfer_failed', /EIO/],
    ['flat_voltage', 'flat_voltage', /reads flat.*AC transformer/],
    ['open', 'open_failed', /cannot open the emulated MCP3008/],
  ])(
    '%s: one fault event, retries with backoff, recovery, and nobody else disturbed',
    async (fault, kind, message) => {
      const sampler = stack.process('sampler');
      const pid = sampler.child.pid;
      const logFrom = sampler.lines.length;
      watcher.clear();

      injectFault(fault);
      // A vanished device first fails a transfer, then cannot be opened again: one event per kind of fault.
      const reported = await watcher.waitForJson(
        'wattbus/bridge/event',
        (event: BridgeEvent) => event.type === 'sampler_fault' && event.data.kind === kind,
      );
      expect(String(reported.data.message)).toMatch(message);
      await watcher.waitFor('wattbus/sampler/state', (m) => m.text === 'offline');

      // Retries back off (0.2, 0.4, 0.8, 0.8 ... s): a handful of attempts in 3 s, not a tight loop, and one event.
      await sleep(3000);
      const attempts = sampler.lines
        .slice(logFrom)
        .map(parseLog)
        .filter((entry) => entry?.kind === kind && typeof entry.attempt === 'number').length;
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(attempts).toBeLessThanOrEqual(10);
      const kinds = events('sampler_fault').map((event) => event.data.kind);
      expect(kinds).toEqual(fault === 'open' ? ['transfer_failed', 'open_failed'] : [kind]);

      // The rest of the bus does not notice: the plugins stay online and take commands.
      const command = fault === 'flat_voltage' ? 'Off' : 'On';
      await commandUnit(watcher, 'wattbus/devices/probe/probe/2', command);
      expect(events('plugin_failed')).toEqual([]);
      expect(events('plugin_offline')).toEqual([]);

      rmSync(faultFile);
      const recovered = await watcher.waitForJson(
        'wattbus/bridge/event',
        (event: BridgeEvent) => event.type === 'sampler_recovered',
      );
      expect(recovered.data).toMatchObject({ kind });
      expect(Number(recovered.data.attempts)).toBeGreaterThanOrEqual(attempts);
      await watcher.waitFor('wattbus/sampler/state', (m) => m.text === 'online');
      const recoveredAt = Date.now();
      // Readings flow again, all the way into a plugin.
      await watcher.waitForJson(
        'wattbus/devices/probe/probe/1',
        (state: UnitState) => Date.parse(state.sValue) >= recoveredAt - 1000,
        15_000,
      );

      // Never a crash loop: the same process all along.
      expect(sampler.child.exitCode).toBeNull();
      expect(stack.process('sampler').child.pid).toBe(pid);
    },
  );
});

describe('the sampler killed with kill -9', () => {
  it('loses at most one persistence interval of energy, and no counter ever goes backwards', async () => {
    const energyFile = join(stack.dataDir, 'sampler/energy.json');
    await expect.poll(() => energy.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    const first = energy.at(-1)!;
    await expect.poll(() => energy.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(energy.length + 3);

    const killedAt = Date.now();
    await stack.process('sampler').kill9();
    const beforeKill = energy.length;
    const last = energy.at(-1)!;
    // The file holds the counters (and when they were saved) in the shape of the payload.
    const onDisk = JSON.parse(readFileSync(energyFile, 'utf8')) as Energy;

    // What the counters held at the kill, from the rate of the last publications.
    const seconds = (Date.parse(last.timestamp) - Date.parse(first.timestamp)) / 1000;
    const whPerSecond = (totalWh(last) - totalWh(first)) / seconds;
    expect(whPerSecond).toBeGreaterThan(0);
    const atKill = totalWh(last) + whPerSecond * ((killedAt - Date.parse(last.timestamp)) / 1000);
    // The file is at most one persistence interval behind (plus a timer's slack on a busy machine).
    const lostOnDisk = atKill - totalWh(onDisk);
    expect(lostOnDisk / whPerSecond, `seconds of energy lost on disk`).toBeLessThan(PERSIST_INTERVAL + 1.5);

    await sleep(1500);
    const restartedAt = Date.now();
    const sampler = stack.restart('sampler');
    await sampler.waitForLine(/"msg":"sampling"/, 20_000);
    await expect
      .poll(() => energy.slice(beforeKill).filter((e) => Date.parse(e.timestamp) >= restartedAt).length, {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(3);

    // The new process continues from the larger of file and retained counters: lost at most what the file
    // lost, and never below anything published before.
    const resumed = energy.slice(beforeKill).find((e) => Date.parse(e.timestamp) >= restartedAt)!;
    expect(counterDecreases(last, resumed)).toEqual([]);
    for (let i = 1; i < energy.length; i++) {
      expect(
        counterDecreases(energy[i - 1]!, energy[i]!),
        `energy publication ${i} of ${energy.length}`,
      ).toEqual([]);
    }

    // A plugin that meters the energy counters sees them only grow too, through the sampler's crash.
    expect(meterEnergy.length).toBeGreaterThan(3);
    for (let i = 1; i < meterEnergy.length; i++)
      expect(meterEnergy[i]!).toBeGreaterThanOrEqual(meterEnergy[i - 1]!);
  });
});
