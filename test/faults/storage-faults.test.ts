import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeEvent, UnitState } from '@wattbus/shared';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../helpers/brokers.js';
import { TestClient } from '../helpers/mqtt.js';
import { stopAllProcesses } from '../helpers/processes.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { tempDir } from '../helpers/temp.js';
import { commandUnit, FIXTURE_PLUGINS, sleep } from './support.js';

/**
 * Issue 8, fault 5: the data directory of the registry and the sampler fills up, or is read-only. Both say so
 * clearly (log and bridge event), stay up in a degraded mode (the registry answers reads and routes commands, the
 * sampler samples and publishes), never damage what they stored, and work normally again once there is space (or
 * a writable disk). The data directory is a small tmpfs, which needs root; without it the tests say they were
 * skipped and why.
 */

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const dir = tempDir('wattbus-fault-storage-');
const mountPoint = join(dir.path, 'data');
const database = join(mountPoint, 'registry/registry.db');
const energyFile = join(mountPoint, 'sampler/energy.json');
const filler = join(mountPoint, 'filler');
let skipReason: string | undefined;
let mounted = false;

let broker: TestBroker;
let stack: Stack;
let watcher: TestClient;

const CONFIG = `
[plugins.probe]
enabled = true
plugin = "fault_probe"
mirror_interval = 0.5
`;

function mount(options: string): void {
  execFileSync('mount', ['-o', options, mountPoint], { stdio: 'pipe' });
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    skipReason = 'needs root to mount a small tmpfs as the data directory';
    return;
  }
  try {
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    skipReason = `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`;
    return;
  }
  broker = await startWattbusBroker();
  watcher = await TestClient.connect(broker.url);
  await watcher.subscribe(['wattbus/#']);
  stack = await startStack(broker, {
    plugins: ['probe'],
    pluginsDir: FIXTURE_PLUGINS,
    extraConfig: CONFIG,
    env: {
      WATTBUS__REGISTRY__DATABASE: database,
      WATTBUS__SAMPLER__ENERGY_FILE: energyFile,
      WATTBUS__SAMPLER__ENERGY_PERSIST_INTERVAL: '1',
      WATTBUS__SAMPLER__ENERGY_PUBLISH_INTERVAL: '1',
    },
  });
  await watcher.waitFor('wattbus/devices/probe/probe/2', undefined, 40_000);
  await watcher.waitForJson(
    'wattbus/bridge/event',
    (event: BridgeEvent) => event.type === 'plugin_started' && event.data.plugin === 'probe',
    20_000,
  );
});

afterAll(async () => {
  await watcher?.close();
  await stack?.stop();
  await stopAllProcesses();
  await broker?.stop();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  dir.remove();
});

async function waitForEvent(type: string, timeoutMs = 20_000): Promise<BridgeEvent> {
  return await watcher.waitForJson(
    'wattbus/bridge/event',
    (event: BridgeEvent) => event.type === type,
    timeoutMs,
  );
}

/** A bridge request through the registry's HTTP API. */
async function bridge(path: string, body: Record<string, unknown>) {
  const response = await fetch(`http://127.0.0.1:${stack.httpPort}/api/bridge/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { status: string; data?: Record<string, unknown>; error?: string };
}

async function health(): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${stack.httpPort}/api/health`);
  return ((await response.json()) as { data: Record<string, unknown> }).data;
}

/** Takes every free byte of the file system. */
function fillDisk(): void {
  const descriptor = openSync(filler, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(descriptor, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(descriptor);
  }
  expect(statfsSync(mountPoint).bavail).toBe(0);
}

/** Units of the probe's hardware as stored, read beside the running registry (WAL readers do not block it). */
function storedUnits(): Map<string, { s_value: string; description: string }> {
  const db = new BetterSqlite3(database, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = db
      .prepare(
        "SELECT device_id, unit, s_value, description FROM units WHERE hardware_id = (SELECT id FROM hardware WHERE key = 'probe')",
      )
      .all() as { device_id: string; unit: number; s_value: string; description: string }[];
    return new Map(rows.map((row) => [`${row.device_id}/${row.unit}`, row]));
  } finally {
    db.close();
  }
}

function energyOnDisk(): { version: number; home: { import_wh: number } } {
  return JSON.parse(readFileSync(energyFile, 'utf8'));
}

const BIG = 'w'.repeat(4000);

describe('a full disk under the registry and the sampler', () => {
  it('is reported, survived in a degraded mode, and recovered from once space is freed', async (context) => {
    if (skipReason) {
      context.skip(skipReason);
      return;
    }
    await commandUnit(watcher, 'wattbus/devices/probe/probe/2', 'On');
    await expect.poll(() => energyOnDisk().version, { timeout: 10_000 }).toBe(1);
    const energyBefore = energyOnDisk();
    watcher.clear();

    fillDisk();
    // Writes that need new pages: units with large values, until the registry refuses one.
    const created: number[] = [];
    let refusal: string | undefined;
    for (let unit = 1; unit <= 200 && !refusal; unit++) {
      const answer = await bridge('unit/create', {
        hardware: 'probe',
        deviceId: 'filler',
        unit,
        name: `Filler ${unit}`,
        typeName: 'Text',
        sValue: BIG,
        description: BIG,
        options: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, BIG])),
      });
      if (answer.status === 'ok') created.push(unit);
      else refusal = answer.error;
    }
    // A clear error, to the requester and on the bus.
    expect(refusal).toMatch(/storage unavailable, nothing was changed: .*full/);
    const degraded = await waitForEvent('registry_degraded');
    expect(String(degraded.data.reason)).toMatch(/full/);
    expect(await health()).toMatchObject({ database: 'degraded', mqtt: 'connected' });
    const samplerFailed = await waitForEvent('sampler_storage_failed');
    expect(samplerFailed.data).toMatchObject({ file: energyFile, code: 'ENOSPC' });
    expect(
      stack
        .process('sampler')
        .lines.some((line) => /"level":"error".*cannot save the energy counters/.test(line)),
    ).toBe(true);

    // Degraded, not down: reads are answered, readings and energy flow, commands still reach the plugin.
    const listed = await bridge('devices/list', { hardware: 'probe' });
    expect(JSON.stringify(listed.data)).toContain('"sValue":"On"');
    const since = Date.now();
    await watcher.waitForJson(
      'wattbus/readings',
      (r: { timestamp: string }) => Date.parse(r.timestamp) > since,
    );
    await watcher.waitForJson(
      'wattbus/energy',
      (e: { timestamp: string }) => Date.parse(e.timestamp) > since,
    );
    const runner = stack.process('plugin-probe');
    const commandsBefore = runner.lines.filter((line) => line.includes('fault_probe command')).length;
    await watcher.publish('wattbus/devices/probe/probe/2/set', 'Off');
    await expect
      .poll(() => runner.lines.filter((line) => line.includes('fault_probe command')).length, {
        timeout: 10_000,
      })
      .toBe(commandsBefore + 1);
    // ... whose update is refused, so the stored and retained state stay what they were.
    await sleep(1000);
    expect(storedUnits().get('probe/2')?.s_value).toBe('On');

    // Space again: both notice at their next write and carry on where they were.
    rmSync(filler);
    const recovered = waitForEvent('registry_recovered');
    const samplerRecovered = waitForEvent('sampler_storage_recovered');
    await recovered;
    expect((await samplerRecovered).data).toMatchObject({ file: energyFile });
    expect(await health()).toMatchObject({ database: 'ok' });
    await commandUnit(watcher, 'wattbus/devices/probe/probe/2', 'Off');

    // Nothing stored before or during the fault was damaged; nothing refused was stored.
    const units = storedUnits();
    for (const unit of created) expect(units.get(`filler/${unit}`)?.description, `filler ${unit}`).toBe(BIG);
    expect(units.has(`filler/${created.length + 1}`)).toBe(false);
    const energyAfter = energyOnDisk();
    expect(energyAfter.version).toBe(1);
    expect(energyAfter.home.import_wh).toBeGreaterThanOrEqual(energyBefore.home.import_wh);
    for (const name of ['registry', 'sampler', 'plugin-probe'])
      expect(stack.process(name).child.exitCode, `${name} is still running`).toBeNull();
  });
});

describe('a read-only data directory under the registry and the sampler', () => {
  it('starts both degraded, serving what they stored, and never touches the files', async (context) => {
    if (skipReason) {
      context.skip(skipReason);
      return;
    }
    // A clean stop leaves one self-contained database file (no WAL), as a backup or a read-only medium would.
    await stack.process('registry').stop();
    await stack.process('sampler').stop();
    const fingerprint = () => execFileSync('sha256sum', [database, energyFile]).toString();
    const before = fingerprint();
    const energyBefore = energyOnDisk();
    mount('remount,ro');
    watcher.clear();

    const registry = stack.restart('registry');
    const sampler = stack.restart('sampler');
    await registry.waitForLine(/registry is degraded: the database cannot be written/, 20_000);
    const degraded = await waitForEvent('registry_degraded');
    expect(String(degraded.data.reason)).toMatch(/read-only/);
    const failed = await waitForEvent('sampler_storage_failed');
    expect(failed.data).toMatchObject({ code: 'EROFS' });

    // The registry serves what it stored; the sampler samples and continues its counters from the file.
    const listed = await bridge('devices/list', { hardware: 'probe' });
    expect(JSON.stringify(listed.data)).toContain('"sValue":"Off"');
    await watcher.waitForJson('wattbus/devices/probe/probe/2', (state: UnitState) => state.state === 'OFF');
    const energy = await watcher.waitForJson(
      'wattbus/energy',
      (e: { home: { import_wh: number } }) => e.home.import_wh > 0,
    );
    expect((energy as { home: { import_wh: number } }).home.import_wh).toBeGreaterThanOrEqual(
      energyBefore.home.import_wh,
    );
    // Changes are refused with the reason, and the plugin carries on.
    const refused = await bridge('unit/rename', {
      hardware: 'probe',
      deviceId: 'probe',
      unit: 2,
      name: 'Renamed',
    });
    expect(refused).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/storage unavailable.*read-only/),
    });
    await sleep(1500);
    expect(stack.process('plugin-probe').child.exitCode).toBeNull();
    expect(registry.child.exitCode).toBeNull();
    expect(sampler.child.exitCode).toBeNull();
    expect(fingerprint()).toBe(before);

    // Writable again: the sampler saves at its next interval; the registry writes after a restart.
    mount('remount,rw');
    await waitForEvent('sampler_storage_recovered');
    await registry.stop();
    const restarted = stack.restart('registry');
    await restarted.waitForLine(/"msg":"registry ready"/, 20_000);
    expect(restarted.lines.some((line) => line.includes('registry is degraded'))).toBe(false);
    await commandUnit(watcher, 'wattbus/devices/probe/probe/2', 'On');
    expect(storedUnits().get('probe/2')?.s_value).toBe('On');
  });
});
