import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp.js';
import { ConfigError } from './errors.js';
import { loadConfig } from './load.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function configFile(text: string): string {
  const dir = tempDir();
  dirs.push(dir);
  const path = join(dir.path, 'config.toml');
  writeFileSync(path, text);
  return path;
}

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the shipped example config', () => {
    const { config } = loadConfig({ path: 'config.example.toml', env: {} });
    expect(config.current_transformers.channel_1?.rating).toBe(100);
    expect(config.mqtt.base_topic).toBe('wattbus');
  });

  it('uses defaults when there is no file at all', () => {
    const { config, path } = loadConfig({ env: { WATTBUS_CONFIG: undefined }, path: undefined });
    expect(path === undefined || path === 'config.toml').toBe(true);
    expect(config.mqtt.protocol_version).toBe(5);
  });

  it('names the key, the value, the source and the rule', () => {
    const path = configFile(
      '[current_transformers.channel_1]\nenabled = true\nrating = "100A"\n[grid_voltage]\nac_transformer_output_voltage = 0\n',
    );
    const found = problems(() => loadConfig({ path, env: {} }));
    expect(found).toContainEqual(
      `current_transformers.channel_1.rating = "100A" (from ${path}): must be a whole number of amps, e.g. 100 (not "100A")`,
    );
    expect(found).toContainEqual(
      `grid_voltage.ac_transformer_output_voltage = 0 (from ${path}): must be greater than 0 volts`,
    );
  });

  it('reports unknown keys and sections, but only warns about reference sections read elsewhere', () => {
    const path = configFile('[mqtt]\nurll = "x"\n[mqqt]\nurl = "y"\n[database]\nhost = "influx"\n');
    const found = problems(() => loadConfig({ path, env: {} }));
    expect(found).toContainEqual(`mqtt.urll = "x" (from ${path}): is not a known setting`);
    expect(found).toContainEqual(`[mqqt] (from ${path}): is not a known section`);
    const ok = configFile('[database]\nhost = "influx"\n');
    expect(loadConfig({ path: ok, env: {} }).warnings[0]).toMatch(/\[database\].*plugins\.influxdb/);
  });

  it('reports a TOML syntax error with its line', () => {
    const path = configFile('[mqtt]\nurl = \n');
    expect(problems(() => loadConfig({ path, env: {} }))[0]).toMatch(
      new RegExp(`^${path}:2:\\d+: not valid TOML`),
    );
  });

  it('applies environment overrides, typed as TOML values, and names the variable in errors', () => {
    const path = configFile('[mqtt]\nurl = "mqtt://file:1883"\n');
    const { config } = loadConfig({
      path,
      env: {
        WATTBUS_MQTT_URL: 'mqtt://env:1883',
        WATTBUS__SAMPLER__SAMPLES_PER_BATCH: '600',
        WATTBUS__HOMEASSISTANT__DISCOVERY: 'false',
        WATTBUS_LOG_LEVEL: 'WARNING',
      },
    });
    expect(config.mqtt.url).toBe('mqtt://env:1883');
    expect(config.sampler.samples_per_batch).toBe(600);
    expect(config.homeassistant.discovery).toBe(false);
    expect(config.general.log_level).toBe('warn');
    expect(problems(() => loadConfig({ path, env: { WATTBUS__BROKER__PORT: 'http' } }))).toEqual([
      'broker.port = "http" (from WATTBUS__BROKER__PORT): Invalid input: expected number, received string',
    ]);
  });

  it("lets a plugin container supply its own block's keys", () => {
    const path = configFile('[plugins.Meter]\nenabled = false\nrate = 1\n');
    const { config, pluginId } = loadConfig({
      path,
      env: {
        WATTBUS_PLUGIN_ID: 'Meter',
        WATTBUS_PLUGIN__ENABLED: 'true',
        WATTBUS_PLUGIN__HOST: 'plug.local',
      },
    });
    expect(pluginId).toBe('Meter');
    expect(config.plugins.Meter).toMatchObject({ enabled: true, rate: 1, host: 'plug.local' });
  });

  it('requires enabled in every plugin block and a rating for enabled channels', () => {
    const path = configFile('[plugins.x]\nfoo = 1\n[current_transformers.channel_2]\nenabled = true\n');
    const found = problems(() => loadConfig({ path, env: {} }));
    expect(found).toContainEqual(`plugins.x.enabled = (missing) (from ${path}): is required (true or false)`);
    expect(found).toContainEqual(
      `current_transformers.channel_2.rating = (missing) (from ${path}): is required for an enabled channel`,
    );
  });

  it('names the variable of an override that names no setting or an unknown section', () => {
    const found = problems(() =>
      loadConfig({
        path: configFile('[general]\nname = "x"\n'),
        env: {
          WATTBUS__: '1',
          WATTBUS__MQTT____URL: 'mqtt://x:1',
          WATTBUS__NOPE__KEY: '1',
          WATTBUS__MQTT__X__Y: '2',
        },
      }),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^WATTBUS__ \(from the environment\): names no setting/),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^WATTBUS__MQTT____URL \(from the environment\): names no setting/),
    );
    expect(found).toContainEqual('[nope] (from WATTBUS__NOPE__KEY): is not a known section');
    expect(found).toContainEqual('mqtt.x = {"y":2} (from WATTBUS__MQTT__X__Y): is not a known setting');
  });

  it('refuses an explicit path that does not exist', () => {
    expect(problems(() => loadConfig({ path: '/nonexistent/config.toml', env: {} }))).toEqual([
      'config file /nonexistent/config.toml does not exist',
    ]);
  });
});
