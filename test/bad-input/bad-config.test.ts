import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { runEntry, stackLines } from './run-entry.js';

/**
 * Issue 8, bad input: bad config.toml files, environment overrides and command-line arguments for every entry
 * point. Each must end on its own with a non-zero exit code (78, EX_CONFIG, for a bad setting; 64, EX_USAGE, for a
 * bad argument) and a message naming the key, the value and the rule, and never print a stack trace: a stack
 * without an explanation is the failure issue 2 forbids.
 *
 * Every process runs in an empty temporary folder (no ./config.toml) with no inherited WATTBUS_* variable.
 * `{dir}` in an argument or a variable is that folder; `{busy}` is a port that is already in use.
 */

const BROKER = 'services/broker/dist/main.js';
const SAMPLER = 'services/sampler/dist/main.js';
const REGISTRY = 'services/device-registry/dist/main.js';
const RUNNER = 'services/plugin-runner/dist/main.js';
const LAUNCHER = 'scripts/dist/start.js';
const SAMPLER_CLI = 'services/sampler/bin/wattbus-sampler.js';
const PASSWD = 'services/broker/dist/passwd.js';

const EX_USAGE = 64;
const EX_CANTCREAT = 73;
const EX_CONFIG = 78;

/**
 * Config files the cases use, by name. A config error lists every problem at once, so one file holds one problem
 * of each kind (unknown key, wrong type, out of range, bad enum) and one process checks them all: each process
 * costs about half a second of CPU, and the machine is shared.
 */
const FILES: Record<string, string> = {
  'syntax.toml': '[general]\nname = "test"\n[sampler\nsource = "simulated"\n',
  'unquoted.toml': '[general]\nname = "test"\n[mqtt]\nurl = mqtt://broker:1883\n',
  'broker.toml':
    '[broker]\nmax_conections = 10\nport = "1883"\nmax_topic_levels = 101\nstore = "disk"\n[samplr]\nx = 1\n',
  'sampler.toml':
    '[sampler]\nsamples_per_batc = 500\nsamples_per_batch = "500"\nspi_speed_hz = 5000000\nmode = "fast"\n' +
    '[current_transformers.channel_1]\nrating = "100A"\n[current_transformers.channel_9]\nrating = 100\n' +
    '[grid_voltage]\ngrid_voltage = -5\n',
  'registry.toml':
    '[registry]\ndatabse = "x.db"\nhttp_port = "8088"\nmax_batch = 0\nsynchronous = "off"\n' +
    '[homeassistant]\nbirth_delay_min = 50\nbirth_delay_max = 10\n',
  'runner.toml':
    '[mqtt]\nusernme = "x"\n[plugins.example]\nenabled = "yes"\nrestart_delay = 0\nplugin = "../etc"\n' +
    'node_options = "max-old-space-size=64"\n',
  'example.toml': '[plugins.example]\nenabled = true\n',
  'example-enum.toml': '[plugins.example]\nenabled = true\nmode1 = "bogus"\n',
  'valid.toml': '[general]\nname = "test"\n',
  'bad.acl': 'user alice\nfrobnicate wattbus/#\ntopic read wattbus/+x\n',
  'bad.passwd': 'this is not a password line\n',
  'bad.yml': 'services: [1, 2\n',
  'not-a-folder': '',
};

interface Case {
  name: string;
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  exit: number;
  /** Every one of these must appear in the output: the key, the value, the rule, where it came from. */
  says: string[];
}

/** The listeners a broker case does not test are off, so cases never bind a port or race each other. */
const QUIET_BROKER = {
  WATTBUS__BROKER__STORE: 'memory',
  WATTBUS__BROKER__PORT: '0',
  WATTBUS__BROKER__WEBSOCKET_PORT: '0',
  WATTBUS__BROKER__HEALTH_PORT: '0',
  WATTBUS__BROKER__TLS_PORT: '0',
};
/** Nothing listens there: a service that got past its config would retry for ever instead of exiting. */
const NO_BROKER = { WATTBUS_MQTT_URL: 'mqtt://127.0.0.1:1' };

const config = (file: string) => ({ WATTBUS_CONFIG: `{dir}/${file}` });

/** What every TOML syntax error must say: the file, the line and column, and that it is not TOML. */
const SYNTAX = ['syntax.toml:3:', 'not valid TOML'];
const UNQUOTED = ['unquoted.toml:4:', 'not valid TOML'];
const MISSING = ['missing/config.toml', 'does not exist'];

const BROKER_SCHEMA = [
  'broker.max_conections = 10',
  'broker.port = "1883"',
  'expected number',
  'broker.max_topic_levels = 101',
  'must be 1-100',
  'broker.store = "disk"',
  'must be "level", "memory" or "redis"',
  '[samplr]',
  'is not a known section',
  'broker.toml',
];
const SAMPLER_SCHEMA = [
  'sampler.samples_per_batc = 500',
  'is not a known setting',
  'sampler.samples_per_batch = "500"',
  'expected number',
  'sampler.spi_speed_hz = 5000000',
  'must be at most 3600000 Hz',
  'sampler.mode = "fast"',
  'must be "aligned" or "compat"',
  'current_transformers.channel_1.rating = "100A"',
  'whole number of amps',
  'current_transformers.channel_9',
  'grid_voltage.grid_voltage = -5',
  'must be greater than 0',
  'sampler.toml',
];
const REGISTRY_SCHEMA = [
  'registry.databse = "x.db"',
  'is not a known setting',
  'registry.http_port = "8088"',
  'expected number',
  'registry.max_batch = 0',
  'must be at least 1',
  'registry.synchronous = "off"',
  'must be "full" or "normal"',
  'homeassistant.birth_delay_min = 50',
  'must not be greater than birth_delay_max',
];
const RUNNER_SCHEMA = [
  'mqtt.usernme = "x"',
  'is not a known setting',
  'plugins.example.enabled = "yes"',
  'is required (true or false)',
  'plugins.example.restart_delay = 0',
  'must be at least 0.01 seconds',
  'plugins.example.plugin = "../etc"',
  'must be a plugin folder name',
  'plugins.example.node_options = "max-old-space-size=64"',
  'each starting with "--"',
];

/** Overrides every service reads; all of them bad at once. */
const BAD_COMMON_ENV = {
  WATTBUS_MQTT_URL: 'not a url',
  WATTBUS_LOG_LEVEL: 'loud',
  WATTBUS_BASE_TOPIC: 'watt/#',
  WATTBUS__MQTT__KEEPALIVE: 'often',
  WATTBUS__MQTT__PROTOCOL_VERSION: '3',
};
const BAD_COMMON_ENV_SAYS = [
  'mqtt.url = "not a url" (from WATTBUS_MQTT_URL): must be a URL',
  'general.log_level = "loud" (from WATTBUS_LOG_LEVEL): must be one of',
  'mqtt.base_topic = "watt/#" (from WATTBUS_BASE_TOPIC): must not contain MQTT wildcards',
  'mqtt.keepalive = "often" (from WATTBUS__MQTT__KEEPALIVE)',
  'mqtt.protocol_version = 3 (from WATTBUS__MQTT__PROTOCOL_VERSION): must be 5',
];

const CASES: Case[] = [
  // ------------------------------------------------------------------------------------------------ broker ----
  {
    name: 'broker: TOML syntax error',
    entry: BROKER,
    env: config('syntax.toml'),
    exit: EX_CONFIG,
    says: SYNTAX,
  },
  {
    name: 'broker: unknown key, wrong type, out of range, bad enum, unknown section',
    entry: BROKER,
    env: config('broker.toml'),
    exit: EX_CONFIG,
    says: BROKER_SCHEMA,
  },
  {
    name: 'broker: bad environment overrides',
    entry: BROKER,
    env: {
      ...BAD_COMMON_ENV,
      WATTBUS__BROKER__PORT: '70000',
      WATTBUS__BROKER__MAX_CLIENTS: '5',
      WATTBUS__BROKER__STORE: 'redis',
    },
    exit: EX_CONFIG,
    says: [
      ...BAD_COMMON_ENV_SAYS,
      'broker.port = 70000 (from WATTBUS__BROKER__PORT): must be 0-65535',
      'broker.max_clients = 5 (from WATTBUS__BROKER__MAX_CLIENTS): is not a known setting',
      'broker.redis_url',
      'must be set when store = "redis"',
    ],
  },
  {
    name: 'broker: config file that does not exist',
    entry: BROKER,
    env: { WATTBUS_CONFIG: '{dir}/missing/config.toml' },
    exit: EX_CONFIG,
    says: MISSING,
  },
  {
    name: 'broker: acl_file with bad lines',
    entry: BROKER,
    env: { ...QUIET_BROKER, WATTBUS__BROKER__ACL_FILE: '{dir}/bad.acl' },
    exit: EX_CONFIG,
    says: ['bad.acl:2', 'unknown keyword "frobnicate"', 'bad.acl:3', '"wattbus/+x"', 'whole level'],
  },
  {
    name: 'broker: password_file with a bad line',
    entry: BROKER,
    env: { ...QUIET_BROKER, WATTBUS__BROKER__PASSWORD_FILE: '{dir}/bad.passwd' },
    exit: EX_CONFIG,
    says: ['bad.passwd:1', 'username'],
  },
  {
    name: 'broker: TLS certificate that does not exist',
    entry: BROKER,
    env: {
      ...QUIET_BROKER,
      WATTBUS__BROKER__TLS_PORT: '{busy}',
      WATTBUS__BROKER__TLS_CERT_FILE: '{dir}/missing.pem',
      WATTBUS__BROKER__TLS_KEY_FILE: '{dir}/missing.key',
    },
    exit: EX_CONFIG,
    says: ['tls_cert_file', 'missing.pem', 'ENOENT'],
  },
  {
    name: 'broker: port already in use',
    entry: BROKER,
    env: { ...QUIET_BROKER, WATTBUS__BROKER__HOST: '127.0.0.1', WATTBUS__BROKER__PORT: '{busy}' },
    exit: EX_CONFIG,
    says: ['[broker] port = {busy}', 'in use'],
  },

  // ----------------------------------------------------------------------------------------------- sampler ----
  {
    name: 'sampler: TOML syntax error',
    entry: SAMPLER,
    env: config('unquoted.toml'),
    exit: EX_CONFIG,
    says: UNQUOTED,
  },
  {
    name: 'sampler: unknown key, wrong type, out of range, bad enum (and the reference sections)',
    entry: SAMPLER,
    env: config('sampler.toml'),
    exit: EX_CONFIG,
    says: SAMPLER_SCHEMA,
  },
  {
    name: 'sampler: bad environment overrides',
    entry: SAMPLER,
    env: { ...BAD_COMMON_ENV, WATTBUS__SAMPLER__SAMPLES_PER_BATCH: 'lots', WATTBUS__SAMPLER__SOURCE: 'spi' },
    exit: EX_CONFIG,
    says: [
      ...BAD_COMMON_ENV_SAYS,
      'sampler.samples_per_batch = "lots" (from WATTBUS__SAMPLER__SAMPLES_PER_BATCH): Invalid input: expected number',
      'sampler.source = "spi" (from WATTBUS__SAMPLER__SOURCE): must be auto, simulated, mcp3008 or replay',
    ],
  },
  {
    name: 'sampler: environment overrides that name no setting',
    entry: SAMPLER,
    env: { WATTBUS__NOPE__KEY: '1', WATTBUS__MQTT____URL: 'mqtt://x:1', WATTBUS__: '1' },
    exit: EX_CONFIG,
    says: [
      '[nope] (from WATTBUS__NOPE__KEY): is not a known section',
      'WATTBUS__MQTT____URL (from the environment): names no setting',
      'WATTBUS__ (from the environment): names no setting',
    ],
  },
  {
    name: 'sampler: environment overrides that conflict with the file',
    entry: SAMPLER,
    env: {
      ...config('valid.toml'),
      WATTBUS__GENERAL: '5',
      WATTBUS__SAMPLER__SOURCE: 'replay',
      WATTBUS__SAMPLER__RETRY_INITIAL_DELAY: '10',
      WATTBUS__SAMPLER__RETRY_MAX_DELAY: '1',
    },
    exit: EX_CONFIG,
    says: [
      'general = 5 (from WATTBUS__GENERAL)',
      'expected object',
      'sampler.replay_file',
      'is required when source = "replay"',
      'sampler.retry_max_delay = 1 (from WATTBUS__SAMPLER__RETRY_MAX_DELAY): must not be less than',
    ],
  },
  {
    name: 'sampler: replay source whose capture file does not exist',
    entry: SAMPLER,
    env: {
      ...NO_BROKER,
      WATTBUS__SAMPLER__SOURCE: 'replay',
      WATTBUS__SAMPLER__REPLAY_FILE: '{dir}/gone.csv',
    },
    exit: EX_CONFIG,
    says: ['sampler.replay_file = "{dir}/gone.csv"', 'cannot read', 'ENOENT'],
  },
  {
    name: 'sampler: config path that is a folder',
    entry: SAMPLER,
    env: { WATTBUS_CONFIG: '{dir}' },
    exit: EX_CONFIG,
    says: ['cannot read', 'EISDIR'],
  },

  // ---------------------------------------------------------------------------------------------- registry ----
  {
    name: 'registry: TOML syntax error',
    entry: REGISTRY,
    env: config('syntax.toml'),
    exit: EX_CONFIG,
    says: SYNTAX,
  },
  {
    name: 'registry: unknown key, wrong type, out of range, bad enum',
    entry: REGISTRY,
    env: config('registry.toml'),
    exit: EX_CONFIG,
    says: REGISTRY_SCHEMA,
  },
  {
    name: 'registry: bad environment overrides',
    entry: REGISTRY,
    env: {
      ...BAD_COMMON_ENV,
      WATTBUS__HOMEASSISTANT__UNUSED_UNITS: 'invisible',
      WATTBUS__REGISTRY__SETTINGS__TITLE: '5',
    },
    exit: EX_CONFIG,
    says: [
      ...BAD_COMMON_ENV_SAYS,
      'homeassistant.unused_units = "invisible" (from WATTBUS__HOMEASSISTANT__UNUSED_UNITS): must be',
      'registry.settings.title = 5 (from WATTBUS__REGISTRY__SETTINGS__TITLE)',
    ],
  },
  {
    name: 'registry: config file that does not exist',
    entry: REGISTRY,
    env: { WATTBUS_CONFIG: '{dir}/missing/config.toml' },
    exit: EX_CONFIG,
    says: MISSING,
  },

  // ----------------------------------------------------------------------------------------- plugin runner ----
  {
    name: 'plugin-runner: TOML syntax error',
    entry: RUNNER,
    args: ['example'],
    env: config('syntax.toml'),
    exit: EX_CONFIG,
    says: SYNTAX,
  },
  {
    name: 'plugin-runner: unknown key, wrong type, out of range, bad folder and node options',
    entry: RUNNER,
    args: ['example'],
    env: config('runner.toml'),
    exit: EX_CONFIG,
    says: RUNNER_SCHEMA,
  },
  {
    name: "plugin-runner: bad enum (the plugin's own parameter, checked by the plugin process)",
    entry: RUNNER,
    args: ['example'],
    env: { ...NO_BROKER, ...config('example-enum.toml') },
    exit: EX_CONFIG,
    // JSON log lines: the quotes around the value are escaped.
    says: [
      '[plugins.example] mode1 (Figure to meter) = \\"bogus\\": must be one of',
      'will not be restarted',
    ],
  },
  {
    name: 'plugin-runner: bad environment overrides (WATTBUS_PLUGIN__ for the runner keys)',
    entry: RUNNER,
    args: ['example'],
    env: {
      ...config('example.toml'),
      ...BAD_COMMON_ENV,
      WATTBUS_PLUGIN__STOP_TIMEOUT: '-1',
      WATTBUS_PLUGIN__ENABLED: 'maybe',
      WATTBUS_PLUGIN__: 'x',
    },
    exit: EX_CONFIG,
    says: [
      ...BAD_COMMON_ENV_SAYS,
      'plugins.example.stop_timeout = -1 (from WATTBUS_PLUGIN__STOP_TIMEOUT): must be zero or more',
      'plugins.example.enabled = "maybe" (from WATTBUS_PLUGIN__ENABLED): is required (true or false)',
      'WATTBUS_PLUGIN__ (from the environment): names no setting',
    ],
  },
  {
    name: "plugin-runner: bad environment override of the plugin's own parameter (WATTBUS_PLUGIN__MODE1)",
    entry: RUNNER,
    args: ['example'],
    env: { ...NO_BROKER, ...config('example.toml'), WATTBUS_PLUGIN__MODE1: 'sideways' },
    exit: EX_CONFIG,
    says: ['[plugins.example] mode1 (Figure to meter) = \\"sideways\\": must be one of'],
  },
  {
    name: 'plugin-runner: --config that does not exist',
    entry: RUNNER,
    args: ['example', '--config', '{dir}/missing/config.toml'],
    exit: EX_CONFIG,
    says: MISSING,
  },
  {
    name: 'plugin-runner: no plugin id at all',
    entry: RUNNER,
    env: config('example.toml'),
    exit: EX_CONFIG,
    says: ['no plugin instance id', 'WATTBUS_PLUGIN_ID'],
  },
  {
    name: 'plugin-runner: bad CLI argument (plugin id)',
    entry: RUNNER,
    args: ['../example'],
    exit: EX_USAGE,
    says: ['must use only letters, digits', 'Usage:'],
  },
  {
    name: 'plugin-runner: bad CLI argument (unknown option)',
    entry: RUNNER,
    args: ['example', '--verbose'],
    exit: EX_USAGE,
    says: ["'--verbose'", 'Usage:'],
  },

  // ------------------------------------------------------------------------------------ npm start launcher ----
  {
    name: 'npm start: TOML syntax error',
    entry: LAUNCHER,
    args: ['--config', '{dir}/syntax.toml'],
    exit: EX_CONFIG,
    says: SYNTAX,
  },
  {
    name: 'npm start: unknown key, wrong type, out of range, bad enum',
    entry: LAUNCHER,
    args: ['--config', '{dir}/broker.toml'],
    exit: EX_CONFIG,
    says: BROKER_SCHEMA,
  },
  {
    name: 'npm start: bad plugin block',
    entry: LAUNCHER,
    args: ['--config', '{dir}/runner.toml'],
    exit: EX_CONFIG,
    says: RUNNER_SCHEMA,
  },
  {
    name: 'npm start: --config that does not exist',
    entry: LAUNCHER,
    args: ['--config', '{dir}/missing/config.toml'],
    exit: EX_CONFIG,
    says: MISSING,
  },
  {
    name: 'npm start: WATTBUS_MQTT_PORT that is not a port',
    entry: LAUNCHER,
    args: ['--config', '{dir}/valid.toml'],
    env: { WATTBUS_MQTT_PORT: 'abc' },
    exit: EX_CONFIG,
    says: ['WATTBUS_MQTT_PORT = "abc": must be a port number'],
  },
  {
    name: 'npm start: WATTBUS_HTTP_PORT out of range',
    entry: LAUNCHER,
    args: ['--config', '{dir}/valid.toml'],
    env: { WATTBUS_HTTP_PORT: '70000' },
    exit: EX_CONFIG,
    says: ['WATTBUS_HTTP_PORT = 70000: must be a port 1-65535'],
  },
  {
    name: 'npm start: --compose that does not exist',
    entry: LAUNCHER,
    args: ['--config', '{dir}/valid.toml', '--compose', '{dir}/missing.yml'],
    exit: EX_CONFIG,
    says: ['missing.yml', 'ENOENT'],
  },
  {
    name: 'npm start: --compose that is not YAML',
    entry: LAUNCHER,
    args: ['--config', '{dir}/valid.toml', '--compose', '{dir}/bad.yml'],
    exit: EX_CONFIG,
    says: ['bad.yml', 'line 2'],
  },
  {
    name: 'npm start: bad CLI argument (unknown option)',
    entry: LAUNCHER,
    args: ['--confg', 'config.toml'],
    exit: EX_USAGE,
    says: ["'--confg'", 'usage: npm start'],
  },

  // --------------------------------------------------------------------------------------- wattbus-sampler ----
  {
    name: 'wattbus-sampler: TOML syntax error',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv', '--config', '{dir}/syntax.toml'],
    exit: EX_CONFIG,
    says: ['wattbus-sampler:', ...SYNTAX],
  },
  {
    name: 'wattbus-sampler: unknown key, wrong type, out of range, bad enum',
    entry: SAMPLER_CLI,
    args: ['--replay', '{dir}/in.csv', '--config', '{dir}/sampler.toml'],
    exit: EX_CONFIG,
    says: SAMPLER_SCHEMA,
  },
  {
    name: 'wattbus-sampler: bad environment overrides',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv'],
    env: { WATTBUS__SAMPLER__SIMULATION_SPEED: '0', WATTBUS_LOG_LEVEL: 'loud' },
    exit: EX_CONFIG,
    says: [
      'sampler.simulation_speed = 0 (from WATTBUS__SAMPLER__SIMULATION_SPEED): must be greater than 0',
      'general.log_level = "loud" (from WATTBUS_LOG_LEVEL)',
    ],
  },
  {
    name: 'wattbus-sampler: --config that does not exist',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv', '--config', '{dir}/missing/config.toml'],
    exit: EX_CONFIG,
    says: MISSING,
  },
  {
    name: 'wattbus-sampler: bad CLI argument (--samples not a number)',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv', '--samples', 'many'],
    exit: EX_USAGE,
    says: ['--samples must be a whole number', 'Usage:'],
  },
  {
    name: 'wattbus-sampler: bad CLI argument (--source)',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv', '--source', 'replay'],
    exit: EX_USAGE,
    says: ['--source must be auto, simulated or mcp3008'],
  },
  {
    name: 'wattbus-sampler: bad CLI argument (both --replay and --capture)',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/out.csv', '--replay', '{dir}/in.csv'],
    exit: EX_USAGE,
    says: ['give exactly one of --replay FILE or --capture FILE'],
  },
  {
    name: 'wattbus-sampler: capture into a folder that does not exist',
    entry: SAMPLER_CLI,
    args: ['--capture', '{dir}/missing/out.csv', '--samples', '10', '--source', 'simulated'],
    exit: EX_CANTCREAT,
    says: ['cannot write', 'missing/out.csv'],
  },

  // --------------------------------------------------------------------------------- wattbus-broker-passwd ----
  {
    name: 'wattbus-broker-passwd: TOML syntax error',
    entry: PASSWD,
    args: ['list', '--config', '{dir}/syntax.toml'],
    exit: EX_CONFIG,
    says: ['wattbus-broker-passwd:', ...SYNTAX],
  },
  {
    name: 'wattbus-broker-passwd: unknown key, wrong type, out of range, bad enum',
    entry: PASSWD,
    args: ['list', '--config', '{dir}/broker.toml'],
    exit: EX_CONFIG,
    says: BROKER_SCHEMA,
  },
  {
    name: 'wattbus-broker-passwd: bad environment override',
    entry: PASSWD,
    args: ['list'],
    env: { WATTBUS__BROKER__PASSWORD_FILE: '[1]', WATTBUS__BROKER__DATA_DIR: '' },
    exit: EX_CONFIG,
    says: [
      'broker.password_file = [1] (from WATTBUS__BROKER__PASSWORD_FILE)',
      'expected string',
      'broker.data_dir = "" (from WATTBUS__BROKER__DATA_DIR)',
    ],
  },
  {
    name: 'wattbus-broker-passwd: --config that does not exist',
    entry: PASSWD,
    args: ['list', '--config', '{dir}/missing/config.toml'],
    exit: EX_CONFIG,
    says: MISSING,
  },
  {
    name: 'wattbus-broker-passwd: password file with a bad line',
    entry: PASSWD,
    args: ['list', '--file', '{dir}/bad.passwd'],
    exit: EX_CONFIG,
    says: ['bad.passwd:1', 'username'],
  },
  {
    name: 'wattbus-broker-passwd: password file whose folder is a file',
    entry: PASSWD,
    args: ['add', 'alice', '--file', '{dir}/not-a-folder/passwd'],
    stdin: 'a long enough password\n',
    exit: EX_CONFIG,
    says: ['not-a-folder/passwd', 'ENOTDIR'],
  },
  {
    name: 'wattbus-broker-passwd: password file that cannot be written',
    entry: PASSWD,
    args: ['add', 'alice', '--file', '/proc/wattbus-bad-config-test/passwd'],
    stdin: 'a long enough password\n',
    exit: EX_CANTCREAT,
    says: ['cannot write /proc/wattbus-bad-config-test/passwd'],
  },
  {
    name: 'wattbus-broker-passwd: bad CLI argument (no command)',
    entry: PASSWD,
    args: [],
    exit: EX_USAGE,
    says: ['a command is required: add, remove or list', 'usage: wattbus-broker-passwd'],
  },
  {
    name: 'wattbus-broker-passwd: bad CLI argument (bad username)',
    entry: PASSWD,
    args: ['add', 'bad user'],
    exit: EX_USAGE,
    says: ['the username "bad user"', 'must use only'],
  },
];

let dir: { path: string; remove(): void };
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  dir = tempDir('wattbus-bad-config-');
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir.path, name), text);
  mkdirSync(join(dir.path, 'cwd'));
  busy = createServer();
  await new Promise<void>((ready) => busy.listen(0, '127.0.0.1', ready));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((closed) => busy.close(closed));
  dir.remove();
});

function fill(text: string): string {
  return text.replaceAll('{dir}', dir.path).replaceAll('{busy}', String(busyPort));
}

// Concurrent: each case is one short process, and vitest runs at most 5 at once (maxConcurrency).
describe.concurrent('bad config.toml, environment overrides and arguments', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const run = await runEntry(testCase.entry, {
      cwd: join(dir.path, 'cwd'),
      args: (testCase.args ?? []).map(fill),
      env: Object.fromEntries(Object.entries(testCase.env ?? {}).map(([key, value]) => [key, fill(value)])),
      stdin: testCase.stdin,
      timeoutMs: 20_000,
    });
    const context = `${testCase.name}\n--- output ---\n${run.output}`;
    expect(run.timedOut, `did not exit on its own: ${context}`).toBe(false);
    expect(run.code, context).not.toBe(0);
    expect(run.code, context).toBe(testCase.exit);
    for (const text of testCase.says) expect(run.output, context).toContain(fill(text));
    expect(stackLines(run.output), `a stack trace: ${context}`).toEqual([]);
  });

  it('covers every entry point with a config file, an override and a bad argument', () => {
    for (const entry of [BROKER, SAMPLER, REGISTRY, RUNNER, LAUNCHER, SAMPLER_CLI, PASSWD]) {
      expect(CASES.filter((c) => c.entry === entry).length).toBeGreaterThanOrEqual(4);
    }
  });
});
