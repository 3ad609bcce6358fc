import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../test/helpers/brokers.js';
import { TestClient } from '../../test/helpers/mqtt.js';
import { freePort, waitForPort } from '../../test/helpers/ports.js';
import { stopAllProcesses } from '../../test/helpers/processes.js';
import { type Stack, startStack } from '../../test/helpers/stack.js';
import { tempDir } from '../../test/helpers/temp.js';
import { InfluxConfig } from './config.js';
import { DOWNSAMPLES, downsampleSelect } from './continuous-queries.js';
import { InfluxV1Writer } from './writers.js';

/**
 * The influxdb plugin against a real InfluxDB 1.x (Debian's influxd), started here on free loopback ports with
 * every other listener off and its data in a temporary directory, and restarted mid-stream.
 */

interface Influxd {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startInfluxd(dir: string): Promise<Influxd> {
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[logging]
  level = "error"
[continuous_queries]
  log-enabled = false
[subscriber]
  enabled = false
`,
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const influxd: Influxd = {
    url: `http://127.0.0.1:${httpPort}`,
    async start() {
      child = spawn('influxd', ['-config', config], { stdio: 'ignore' });
      exited = new Promise((resolve) => child!.once('exit', () => resolve()));
      await waitForPort(httpPort, 30_000);
    },
    async stop() {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  await influxd.start();
  return influxd;
}

type Series = { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> };

async function query(url: string, database: string, statement: string): Promise<Series[]> {
  const response = await fetch(
    `${url}/query?db=${encodeURIComponent(database)}&q=${encodeURIComponent(statement)}`,
  );
  const body = (await response.json()) as { results: { series?: Series[]; error?: string }[] };
  if (body.results[0]?.error) throw new Error(body.results[0].error);
  return body.results[0]?.series ?? [];
}

/** Rows of a series as objects keyed by column. */
const rows = (series: Series | undefined) =>
  (series?.values ?? []).map((values) =>
    Object.fromEntries(series!.columns.map((column, i) => [column, values[i]])),
  );

describe('influxdb plugin with InfluxDB 1.x', () => {
  let dir: { path: string; remove(): void };
  let influxd: Influxd;

  beforeAll(async () => {
    dir = tempDir('wattbus-influxd-');
    influxd = await startInfluxd(dir.path);
  });

  afterAll(async () => {
    await influxd?.stop();
    await stopAllProcesses();
    dir?.remove();
  });

  it('creates the database, the rp_5min policy and working continuous queries, idempotently', async () => {
    const config = InfluxConfig.parse({
      url: influxd.url,
      database_name: 'setup_test',
      continuous_queries: true,
    });
    const writer = new InfluxV1Writer(config);
    expect(await writer.prepare()).toEqual([]);
    expect(await writer.prepare()).toEqual([]);

    const policies = rows((await query(influxd.url, 'setup_test', 'SHOW RETENTION POLICIES'))[0]);
    expect(policies).toContainEqual(
      expect.objectContaining({ name: 'rp_5min', duration: '0s', default: false }),
    );
    const queries = (await query(influxd.url, 'setup_test', 'SHOW CONTINUOUS QUERIES')).find(
      (series) => series.name === 'setup_test',
    );
    expect(rows(queries).map((row) => row.name)).toEqual(DOWNSAMPLES.map((rule) => rule.name));

    // 1 kW for ten minutes is 1/6 kWh: run the home rule's SELECT now instead of waiting for the schedule.
    const start = Date.parse('2024-01-01T00:00:00Z');
    const lines = Array.from(
      { length: 601 },
      (_, i) => `home_load,id=site power=1000,current=4 ${start + i * 1000}`,
    );
    await writer.write(lines);
    const select = downsampleSelect(DOWNSAMPLES[0]!, 'setup_test', '', {
      into: false,
      where: "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T00:10:00Z'",
    });
    const windows = rows((await query(influxd.url, 'setup_test', select))[0]);
    expect(windows).toHaveLength(2);
    for (const window of windows) {
      expect(window).toMatchObject({ power: 1000, current: 4 });
      expect(window.energy as number).toBeCloseTo((1000 * 300) / 3_600_000, 2);
    }
  });

  describe('through the plugin runner', () => {
    let broker: TestBroker;
    let stack: Stack;
    let source: TestClient;
    const base = Date.parse('2024-06-01T12:00:00Z');

    beforeAll(async () => {
      broker = await startWattbusBroker();
      source = await TestClient.connect(broker.url);
      stack = await startStack(broker, {
        sampler: false,
        registry: false,
        plugins: ['influxdb'],
        extraConfig: `
[plugins.influxdb]
enabled = true
url = "${influxd.url}"
database_name = "power_monitor"
interval = 1
batch_size = 25
max_retry_delay = 0.5
timeout = 2
`,
      });
      await stack.processes.get('plugin-influxdb')!.waitForLine(/writing readings to InfluxDB/);
    });

    afterAll(async () => {
      await source?.close();
      await stack?.stop();
      await broker?.stop();
    });

    /** Reading number i: one per second of reading time, with values that identify it. */
    const reading = (i: number) => ({
      cts: {
        '1': { power: -100 - i, pf: 0.9, current: -0.5, voltage: 240 },
        '2': { power: 300 + i, pf: 0.99, current: 1.25, voltage: 240.5 },
      },
      production: { power: 300 + i, pf: 0.99, current: 1.25 },
      'home-consumption': { power: 200, current: 0.75 },
      net: { power: i === 0 ? 0 : -100 - i, current: -0.5 },
      voltage: 240,
      timestamp: new Date(base + i * 1000).toISOString(),
    });

    async function publish(from: number, to: number): Promise<void> {
      for (let i = from; i < to; i++) {
        await source.publish('wattbus/readings', JSON.stringify(reading(i)), { retain: true, qos: 0 });
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    }

    async function count(measurement: string): Promise<number> {
      const [series] = await query(
        influxd.url,
        'power_monitor',
        `SELECT count(power) FROM ${measurement}`,
      ).catch(() => []);
      return (rows(series)[0]?.count as number | undefined) ?? 0;
    }

    it('loses nothing while InfluxDB restarts mid-stream, and writes the reference schema', async () => {
      const plugin = stack.processes.get('plugin-influxdb')!;
      await publish(0, 30);
      await influxd.stop();
      await publish(30, 60);
      await plugin.waitForLine(/cannot write to .*keeping the points and retrying/, 20_000);
      await influxd.start();
      await publish(60, 90);
      await plugin.waitForLine(/is back; writing the backlog/, 20_000);
      // 90 readings; batches of 25 leave up to 24 waiting until the plugin stops.
      await plugin.stop();
      expect(plugin.lines.join('\n')).toMatch(/every buffered point was written/);

      for (const measurement of ['home_load', 'solar', 'net', 'raw_cts']) {
        expect(await count(measurement), measurement).toBe(measurement === 'raw_cts' ? 180 : 90);
      }
      const [voltages] = await query(influxd.url, 'power_monitor', 'SELECT count(voltage) FROM voltages');
      expect(rows(voltages)[0]?.count).toBe(90);

      const at = (i: number) => `time = '${new Date(base + i * 1000).toISOString()}'`;
      const net = rows((await query(influxd.url, 'power_monitor', `SELECT * FROM net WHERE ${at(45)}`))[0]);
      expect(net).toEqual([
        {
          time: '2024-06-01T12:00:45Z',
          current: -0.5,
          id: 'test',
          power: -145,
          status: 'Producing',
        },
      ]);
      const idle = rows((await query(influxd.url, 'power_monitor', `SELECT * FROM net WHERE ${at(0)}`))[0]);
      expect(idle[0]).toMatchObject({ power: 0, status: 'No data' });
      const byCt = await query(
        influxd.url,
        'power_monitor',
        `SELECT power, current, pf FROM raw_cts WHERE ${at(45)} GROUP BY ct, id`,
      );
      expect(byCt.map((series) => ({ tags: series.tags, row: rows(series)[0] }))).toEqual([
        {
          tags: { ct: '1', id: 'test' },
          row: { time: expect.any(String), power: -145, current: -0.5, pf: 0.9 },
        },
        {
          tags: { ct: '2', id: 'test' },
          row: { time: expect.any(String), power: 345, current: 1.25, pf: 0.99 },
        },
      ]);
      const solar = rows(
        (await query(influxd.url, 'power_monitor', `SELECT * FROM solar WHERE ${at(10)}`))[0],
      );
      expect(solar).toEqual([{ time: expect.any(String), current: 1.25, id: 'test', pf: 0.99, power: 310 }]);
      const volts = rows(
        (await query(influxd.url, 'power_monitor', `SELECT * FROM voltages WHERE ${at(10)}`))[0],
      );
      expect(volts).toEqual([{ time: expect.any(String), id: 'test', v_input: '0', voltage: 240 }]);
    });
  });
});
