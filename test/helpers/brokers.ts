import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { type ServiceProcess, spawnNode } from './processes.js';
import { tempDir } from './temp.js';

export interface TestBroker {
  url: string;
  port: number;
  kind: 'wattbus' | 'mosquitto';
  dataDir: string;
  /** The broker process (the embedded broker) or undefined (Mosquitto, stopped through `stop`). */
  process?: ServiceProcess;
  stop(): Promise<void>;
  /** SIGKILL: the crash or power-cut case. The data directory stays, for a restart on it; `stop()` removes it. */
  kill9(): Promise<void>;
}

/** Starts the embedded broker (services/broker) as a process on a free loopback port, anonymous access allowed. */
export async function startWattbusBroker(
  env: Record<string, string> = {},
  options: { port?: number; dataDir?: string } = {},
): Promise<TestBroker> {
  const port = options.port ?? (await freePort());
  const dir = options.dataDir ? { path: options.dataDir, remove() {} } : tempDir('wattbus-broker-');
  const broker = spawnNode('broker', 'services/broker/dist/main.js', {
    WATTBUS_CONFIG: undefined,
    WATTBUS__BROKER__HOST: '127.0.0.1',
    WATTBUS__BROKER__PORT: String(port),
    WATTBUS__BROKER__ALLOW_ANONYMOUS: 'true',
    WATTBUS__BROKER__DATA_DIR: dir.path,
    // Tests run brokers side by side: only the TCP listener, on its free port. Tests that start many clients at once
    // must not trip the per-address connect-rate limit (services/broker/test covers it).
    WATTBUS__BROKER__WEBSOCKET_PORT: '0',
    WATTBUS__BROKER__HEALTH_PORT: '0',
    WATTBUS__BROKER__CONNECT_RATE_LIMIT: '0',
    ...env,
  });
  await Promise.race([
    waitForPort(port),
    broker.exited.then((code) =>
      Promise.reject(new Error(`broker exited: ${code}\n${broker.lines.join('\n')}`)),
    ),
  ]);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    kind: 'wattbus',
    dataDir: dir.path,
    process: broker,
    async stop() {
      await broker.stop();
      if (!options.dataDir) dir.remove();
    },
    async kill9() {
      await broker.kill9();
    },
  };
}

/** Starts Debian's Mosquitto on a free loopback port with a throwaway config; anonymous access allowed. */
export async function startMosquitto(
  extraConfig = '',
  options: { port?: number; dataDir?: string } = {},
): Promise<TestBroker> {
  const port = options.port ?? (await freePort());
  const dir = options.dataDir ? { path: options.dataDir, remove() {} } : tempDir('wattbus-mosquitto-');
  const configPath = join(dir.path, 'mosquitto.conf');
  writeFileSync(
    configPath,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir.path}/`,
      'autosave_interval 1',
      extraConfig,
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk) => output.push(String(chunk)));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(port),
    exited.then(() => Promise.reject(new Error(`mosquitto exited:\n${output.join('')}`))),
  ]);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    kind: 'mosquitto',
    dataDir: dir.path,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dataDir) dir.remove();
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
