import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { readComposeFile } from '../../scripts/src/compose-file.js';
import { startWattbusBroker, type TestBroker } from './brokers.js';
import { TestClient } from './mqtt.js';
import { freePort } from './ports.js';
import { REPO_ROOT, type ServiceProcess, spawnNode } from './processes.js';
import { writeTestConfig } from './stack.js';
import { tempDir } from './temp.js';

export interface Account {
  username: string;
  password: string;
}

/**
 * The broker accounts of docker-compose.yml, read from the file itself: the broker's `WATTBUS_SERVICE_ACCOUNT_*`
 * variables and each service's `WATTBUS_MQTT_USERNAME` / `WATTBUS_MQTT_PASSWORD`, with one random password per
 * `.env` variable (as `npm start` generates them), so every service runs under its own account and rules.
 */
export class ComposeAccounts {
  /** The broker service's service-account variables, exactly as compose sets them. */
  readonly brokerEnv: Record<string, string> = {};
  private readonly byService = new Map<string, Account>();

  constructor() {
    const services = readComposeFile(join(REPO_ROOT, 'docker-compose.yml'), {}, REPO_ROOT, 'config.toml');
    for (const service of services) {
      if (service.name === 'broker') {
        for (const [name, value] of Object.entries(service.env)) {
          if (name.startsWith('WATTBUS_SERVICE_ACCOUNT_')) this.brokerEnv[name] = value;
        }
      }
      const username = service.env.WATTBUS_MQTT_USERNAME;
      const password = service.env.WATTBUS_MQTT_PASSWORD;
      if (username && password) this.byService.set(service.name, { username, password });
    }
  }

  /** A service account by username (`sampler`, `registry`, `homeassistant`, `plugin_example`, ...). */
  account(username: string): Account {
    const password = this.brokerEnv[`WATTBUS_SERVICE_ACCOUNT_${username.toUpperCase()}`];
    if (!password) throw new Error(`docker-compose.yml defines no service account ${username}`);
    return { username, password };
  }

  /** The account a compose service connects with (`sampler`, `registry`, `plugin-example`, ...). */
  service(name: string): Account {
    const account = this.byService.get(name);
    if (!account) throw new Error(`docker-compose.yml gives the service ${name} no broker account`);
    return account;
  }

  /** The environment that makes a wattbus service connect as `account`, as compose passes it. */
  static env(account: Account): Record<string, string> {
    return { WATTBUS_MQTT_USERNAME: account.username, WATTBUS_MQTT_PASSWORD: account.password };
  }
}

export interface ComposeBroker extends TestBroker {
  accounts: ComposeAccounts;
  /** Connects a test client as a service account or a password-file user. */
  connect(account: Account, options?: IClientOptions): Promise<TestClient>;
}

/**
 * The embedded broker as compose runs it: anonymous access off, the compose service accounts, and people's users
 * (`people`: name -> password) written with the real `wattbus-broker-passwd` into the password file. Without an
 * acl_file, those users may use every topic except `$` topics, as docs/broker.md says.
 */
export async function startComposeBroker(
  options: { people?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<ComposeBroker> {
  const accounts = new ComposeAccounts();
  const dir = tempDir('wattbus-compose-broker-');
  const passwordFile = join(dir.path, 'passwd');
  for (const [username, password] of Object.entries(options.people ?? {})) {
    const added = spawnSync(
      process.execPath,
      ['services/broker/dist/passwd.js', 'add', username, '--file', passwordFile],
      { cwd: REPO_ROOT, input: `${password}\n`, encoding: 'utf8' },
    );
    if (added.status !== 0) throw new Error(`wattbus-broker-passwd add ${username} failed: ${added.stderr}`);
  }
  const broker = await startWattbusBroker({
    ...accounts.brokerEnv,
    WATTBUS__BROKER__ALLOW_ANONYMOUS: 'false',
    WATTBUS__BROKER__PASSWORD_FILE: passwordFile,
    ...options.env,
  });
  return {
    ...broker,
    accounts,
    connect: (account, clientOptions = {}) =>
      TestClient.connect(broker.url, {
        username: account.username,
        password: account.password,
        reconnectPeriod: 0,
        ...clientOptions,
      }),
    async stop() {
      await broker.stop();
      dir.remove();
    },
  };
}

export interface ComposeStack {
  configPath: string;
  dataDir: string;
  httpPort: number;
  processes: Map<string, ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The sampler, the registry and plugin runners as real processes, each connected with the account its compose
 * service uses (a plugin `<id>` as the compose service `plugin-<id>`, i.e. the user `plugin_<id>`).
 */
export async function startComposeStack(
  broker: ComposeBroker,
  options: { extraConfig?: string; plugins?: string[]; env?: Record<string, string> } = {},
): Promise<ComposeStack> {
  const dir = tempDir('wattbus-compose-stack-');
  const httpPort = await freePort();
  const configPath = writeTestConfig(dir.path, broker.url, httpPort, options.extraConfig);
  const env = { WATTBUS_CONFIG: configPath, ...options.env };
  const as = (service: string) => ComposeAccounts.env(broker.accounts.service(service));
  const processes = new Map<string, ServiceProcess>([
    [
      'registry',
      spawnNode('registry', 'services/device-registry/dist/main.js', { ...env, ...as('registry') }),
    ],
    ['sampler', spawnNode('sampler', 'services/sampler/dist/main.js', { ...env, ...as('sampler') })],
  ]);
  for (const id of options.plugins ?? []) {
    processes.set(
      `plugin-${id}`,
      spawnNode(`plugin-${id}`, 'services/plugin-runner/dist/main.js', {
        ...env,
        ...as(`plugin-${id}`),
        WATTBUS_PLUGIN_ID: id,
      }),
    );
  }
  return {
    configPath,
    dataDir: dir.path,
    httpPort,
    processes,
    async stop() {
      await Promise.all([...processes.values()].map((process) => process.stop()));
      dir.remove();
    },
  };
}
