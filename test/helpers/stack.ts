import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBroker } from './brokers.js';
import { freePort } from './ports.js';
import { type ServiceProcess, spawnNode } from './processes.js';
import { tempDir } from './temp.js';

export interface StackOptions {
  /** Extra config.toml text, e.g. plugin blocks. */
  extraConfig?: string;
  /** Plugin instance ids to run, one runner process each. */
  plugins?: string[];
  /** Which services to start (default: all of sampler, registry). */
  sampler?: boolean;
  registry?: boolean;
  env?: Record<string, string>;
  /** `--plugins-dir` of the runners (default: the repository's plugins/); per plugin id when given as a map. */
  pluginsDir?: string | Record<string, string>;
}

export interface Stack {
  configPath: string;
  dataDir: string;
  httpPort: number;
  processes: Map<string, ServiceProcess>;
  /** The running process of `name` (`registry`, `sampler`, `plugin-<id>`); throws when there is none. */
  process(name: string): ServiceProcess;
  /**
   * Starts `name` again with the same command and environment (after a `kill9` or `stop`), replacing it in
   * `processes`; extra environment variables apply to this start only.
   */
  restart(name: string, env?: Record<string, string>): ServiceProcess;
  stop(): Promise<void>;
}

/** The grid section of every test config: 240 V mains through a 10.2 V AC transformer. */
export const TEST_GRID = `
[grid_voltage]
grid_voltage = 240
ac_transformer_output_voltage = 10.2
frequency = 50
`;

/** The channels of every test config: mains, solar and one circuit, as config.toml sections. */
export const TEST_CHANNELS = `
[current_transformers.channel_1]
name = "Mains"
rating = 100
type = "mains"
enabled = true

[current_transformers.channel_2]
name = "Solar"
rating = 30
type = "production"
enabled = true

[current_transformers.channel_3]
name = "Kitchen"
rating = 30
type = "consumption"
enabled = true
`;

/** A config for tests: data in a temp dir, a fast simulated day, the base demo channels. */
export function writeTestConfig(dataDir: string, brokerUrl: string, httpPort: number, extra = ''): string {
  const path = join(dataDir, 'config.toml');
  writeFileSync(
    path,
    `[general]
name = "test"
log_level = "info"
${TEST_GRID}${TEST_CHANNELS}
[mqtt]
url = "${brokerUrl}"
reconnect_period = 0.2

[sampler]
source = "simulated"
energy_file = "${dataDir}/sampler/energy.json"

[registry]
database = "${dataDir}/registry/registry.db"
http_host = "127.0.0.1"
http_port = ${httpPort}

${extra}
`,
  );
  return path;
}

/** Starts sampler, registry and plugin runners as real processes against a broker that is already running. */
export async function startStack(broker: TestBroker, options: StackOptions = {}): Promise<Stack> {
  const dir = tempDir('wattbus-stack-');
  const httpPort = await freePort();
  const configPath = writeTestConfig(dir.path, broker.url, httpPort, options.extraConfig);
  const env = { WATTBUS_CONFIG: configPath, ...options.env };
  const processes = new Map<string, ServiceProcess>();
  const launchers = new Map<string, (extraEnv?: Record<string, string>) => ServiceProcess>();
  const add = (name: string, launch: (extraEnv?: Record<string, string>) => ServiceProcess) => {
    launchers.set(name, launch);
    processes.set(name, launch());
  };
  if (options.registry ?? true) {
    add('registry', (extra) =>
      spawnNode('registry', 'services/device-registry/dist/main.js', { ...env, ...extra }),
    );
  }
  if (options.sampler ?? true) {
    add('sampler', (extra) => spawnNode('sampler', 'services/sampler/dist/main.js', { ...env, ...extra }));
  }
  for (const id of options.plugins ?? []) {
    const dir = typeof options.pluginsDir === 'string' ? options.pluginsDir : options.pluginsDir?.[id];
    add(`plugin-${id}`, (extra) =>
      spawnNode(
        `plugin-${id}`,
        'services/plugin-runner/dist/main.js',
        { ...env, WATTBUS_PLUGIN_ID: id, ...extra },
        dir ? ['--plugins-dir', dir] : [],
      ),
    );
  }
  return {
    configPath,
    dataDir: dir.path,
    httpPort,
    processes,
    process(name) {
      const found = processes.get(name);
      if (!found) throw new Error(`the stack has no process ${name}`);
      return found;
    },
    restart(name, extraEnv) {
      const launch = launchers.get(name);
      if (!launch) throw new Error(`the stack has no process ${name}`);
      const started = launch(extraEnv);
      processes.set(name, started);
      return started;
    },
    async stop() {
      await Promise.all([...processes.values()].map((process) => process.stop()));
      dir.remove();
    },
  };
}
