import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseCommandLine } from '@wattbus/shared';
import { z } from 'zod';
import { readComposeFile, startOrder } from './compose-file.js';
import { LocalSupervisor } from './local-supervisor.js';

const USAGE = `usage: npm start [-- --config FILE] [--compose FILE]

Runs the topology of docker-compose.yml as local processes: the embedded broker on 127.0.0.1 (anonymous access,
loopback only), the sampler (simulated unless an SPI device exists), the device registry and one plugin runner per
plugin service. Ctrl-C stops everything; each service's state topic then reads "offline".

  --config FILE    config.toml to use (default: config.toml, else config.example.toml)
  --compose FILE   compose file to run (default: docker-compose.yml)

Environment: WATTBUS_MQTT_PORT (default 1883) and WATTBUS_HTTP_PORT (default 8088) choose the host ports, as they do
for docker compose.`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const options = parseCommandLine(
  process.argv.slice(2),
  { config: { type: 'string' }, compose: { type: 'string' }, help: { type: 'boolean' } },
  z.object({
    config: z.string().min(1).optional(),
    compose: z.string().min(1).optional(),
    positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
  }),
  USAGE,
);

const configPath = resolve(
  options.config ?? (existsSync(join(repoRoot, 'config.toml')) ? 'config.toml' : 'config.example.toml'),
);
const composePath = resolve(options.compose ?? join(repoRoot, 'docker-compose.yml'));

let baseTopic = 'wattbus';
try {
  // The same validation every service runs; a bad file is reported once here instead of by every process.
  baseTopic = loadConfig({ path: configPath, env: {} }).config.mqtt.base_topic;
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(78);
}

// The host ports are interpolated into the compose file; a bad one would only surface as the broker's or the
// registry's config error under another name (WATTBUS__BROKER__PORT), so name the variable the user set.
for (const name of ['WATTBUS_MQTT_PORT', 'WATTBUS_HTTP_PORT']) {
  const value = process.env[name];
  if (value !== undefined && value !== '' && !/^\d+$/.test(value)) {
    process.stderr.write(
      `invalid configuration:\n  - ${name} = ${JSON.stringify(value)}: must be a port number\n`,
    );
    process.exit(78);
  }
  if (value && (Number(value) < 1 || Number(value) > 65535)) {
    process.stderr.write(`invalid configuration:\n  - ${name} = ${value}: must be a port 1-65535\n`);
    process.exit(78);
  }
}

let services: ReturnType<typeof startOrder>;
try {
  services = startOrder(readComposeFile(composePath, process.env, repoRoot, configPath));
} catch (error) {
  // A missing or malformed compose file is a setting to fix, not a crash: its message names the file (and the
  // YAML line), and a stack trace would only hide it.
  process.stderr.write(`npm start: cannot use ${composePath}: ${(error as Error).message}\n`);
  process.exit(78);
}
const supervisor = new LocalSupervisor(services, repoRoot);
const say = (text: string) => supervisor.line('npm start', text, true);

say(`config: ${configPath}`);
for (const service of services) {
  for (const dependency of service.dependsOn) {
    const target = services.find((candidate) => candidate.name === dependency)!;
    for (const port of target.ports.values()) await waitForPort(port, 20_000);
  }
  supervisor.start(service);
}

const broker = services.find((service) => service.name === 'broker');
const mqttPort = broker?.ports.get(1883) ?? 1883;
const httpPort = services.find((service) => service.name === 'registry')?.ports.get(8088);
await waitForPort(mqttPort, 20_000);
say(`wattbus is running. Watch the bus with:`);
say(`  mosquitto_sub -h 127.0.0.1 -p ${mqttPort} -t '${baseTopic}/#' -v`);
if (httpPort) say(`Devices: curl http://127.0.0.1:${httpPort}/api/devices`);
say('Press Ctrl-C to stop.');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    supervisor.killAll();
    process.exit(130);
  }
  stopping = true;
  say(`${signal}: stopping every service (broker last)...`);
  await supervisor.stopAll(services);
  say('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('exit', () => supervisor.killAll());

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((wake) => setTimeout(wake, 100));
  }
  say(
    `nothing is listening on 127.0.0.1:${port} after ${timeoutMs / 1000} s; is the port taken? Set WATTBUS_MQTT_PORT.`,
  );
}
