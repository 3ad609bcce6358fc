import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../test/helpers/brokers.js';
import { TestClient } from '../../test/helpers/mqtt.js';
import { freePort, waitForPort } from '../../test/helpers/ports.js';
import { spawnNode, stopAllProcesses } from '../../test/helpers/processes.js';
import { type Stack, startStack } from '../../test/helpers/stack.js';
import { tempDir } from '../../test/helpers/temp.js';

/**
 * mqtt_v2 through real processes: readings on wattbus's own broker, the plugin runner, and Debian's Mosquitto as
 * the "other" broker the figures go to, over TLS with a password, as a migrating user's broker would be.
 */

interface OtherBroker {
  plainPort: number;
  tlsPort: number;
  caFile: string;
  stop(): Promise<void>;
}

/** Mosquitto with an anonymous plain listener (for the test's subscriber) and a TLS listener that needs a password. */
async function startOtherBroker(dir: string): Promise<OtherBroker> {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=wattbus test CA',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  // Mosquitto started as root reads its files as the `mosquitto` user.
  chmodSync(dir, 0o755);
  for (const name of ['ca.crt', 'server.crt', 'server.key']) chmodSync(file(name), 0o644);
  execFileSync('mosquitto_passwd', ['-b', '-c', file('passwd'), 'powermon', 'plug-in secret'], {
    stdio: 'pipe',
  });
  const plainPort = await freePort();
  const tlsPort = await freePort();
  writeFileSync(
    file('mosquitto.conf'),
    [
      'per_listener_settings true',
      `listener ${plainPort} 127.0.0.1`,
      'allow_anonymous true',
      `listener ${tlsPort} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${file('passwd')}`,
      `cafile ${file('ca.crt')}`,
      `certfile ${file('server.crt')}`,
      `keyfile ${file('server.key')}`,
    ].join('\n'),
  );
  chmodSync(file('passwd'), 0o644);
  const child: ChildProcess = spawn('mosquitto', ['-c', file('mosquitto.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.all([waitForPort(plainPort), waitForPort(tlsPort)]);
  return {
    plainPort,
    tlsPort,
    caFile: file('ca.crt'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

const reading = (changes: { netPower?: number; ct1Voltage?: number } = {}) => ({
  cts: {
    '1': { power: 2126.5432, pf: 0.886, current: 10, voltage: changes.ct1Voltage ?? 239.94 },
    '2': { power: 1200.9, pf: 0.125, current: 5.005, voltage: 240 },
  },
  production: { power: 0, pf: 0, current: 0 },
  'home-consumption': { power: 3327.445, current: 15 },
  net: { power: changes.netPower ?? -0.001, current: -0.004 },
  voltage: 239.94,
  timestamp: new Date().toISOString(),
});

/** What the reference plugin (Python's str(round(x, 2))) publishes for `reading()`. */
const EXPECTED = {
  'powermon/ct1/power': '2126.54',
  'powermon/ct1/pf': '0.89',
  'powermon/ct1/current': '10.0',
  'powermon/ct1/voltage': '239.94',
  'powermon/ct2/power': '1200.9',
  'powermon/ct2/pf': '0.12',
  'powermon/ct2/current': '5.0',
  'powermon/ct2/voltage': '240.0',
  'powermon/production/power': '0.0',
  'powermon/production/pf': '0.0',
  'powermon/production/current': '0.0',
  'powermon/home-consumption/power': '3327.45',
  'powermon/home-consumption/current': '15.0',
  'powermon/net/power': '-0.0',
  'powermon/net/current': '-0.0',
  'powermon/voltage': '239.94',
};

describe('mqtt_v2', () => {
  let dir: { path: string; remove(): void };
  let wattbus: TestBroker;
  let other: OtherBroker;
  let stack: Stack;
  let source: TestClient;
  let subscriber: TestClient;

  beforeAll(async () => {
    dir = tempDir('wattbus-mqtt-v2-');
    [wattbus, other] = await Promise.all([startWattbusBroker(), startOtherBroker(dir.path)]);
    source = await TestClient.connect(wattbus.url);
    subscriber = await TestClient.connect(`mqtt://127.0.0.1:${other.plainPort}`, { protocolVersion: 4 });
    await subscriber.subscribe('powermon/#');
    await source.publish('wattbus/readings', JSON.stringify(reading()), { retain: true });
    stack = await startStack(wattbus, {
      sampler: false,
      registry: false,
      plugins: ['mqtt_v2'],
      extraConfig: `
[plugins.mqtt_v2]
enabled = true
host = "127.0.0.1"
port = ${other.tlsPort}
tls = true
ca_file = "${other.caFile}"
username = "powermon"
password = "plug-in secret"
prefix = "powermon"
refresh_rate = 0.2
max_publish_seconds = 3600
restart_delay = 0.2
`,
    });
  });

  afterAll(async () => {
    await Promise.all([source?.close(), subscriber?.close()]);
    await stack?.stop();
    await Promise.all([wattbus?.stop(), other?.stop()]);
    await stopAllProcesses();
    dir?.remove();
  });

  it("publishes every figure under the prefix in the reference's number format, over TLS with a password", async () => {
    for (const [topic, payload] of Object.entries(EXPECTED)) {
      const message = await subscriber.waitFor(topic, undefined, 20_000);
      expect({ topic, payload: message.text, retain: message.retain }).toEqual({
        topic,
        payload,
        retain: false,
      });
    }
    const status = await subscriber.waitFor('powermon/status');
    expect(status.text).toBe('online');
  });

  it('publishes only the figures that moved past their deadband', async () => {
    await subscriber.waitFor('powermon/voltage', undefined, 20_000);
    subscriber.clear();
    // Net power moves by 50 W (threshold 5); ct1 voltage by 1 V (threshold 3): only net power goes out.
    await source.publish('wattbus/readings', JSON.stringify(reading({ netPower: 50, ct1Voltage: 240.94 })), {
      retain: true,
    });
    const net = await subscriber.waitFor('powermon/net/power', undefined, 10_000);
    expect(net.text).toBe('50.0');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(subscriber.messages.map((message) => message.topic)).toEqual(['powermon/net/power']);
  });

  it('leaves offline as its will when its process dies, and comes back online after the restart', async () => {
    const runner = stack.processes.get('plugin-mqtt_v2')!;
    const started = await runner.waitForLine(/"msg":"plugin started"/);
    const pid = (JSON.parse(started) as { pid: number }).pid;
    subscriber.clear();
    process.kill(pid, 'SIGKILL');
    const will = await subscriber.waitFor('powermon/status', (message) => message.text === 'offline', 15_000);
    expect(will.text).toBe('offline');
    const back = await subscriber.waitFor('powermon/status', (message) => message.text === 'online', 20_000);
    expect(back.text).toBe('online');
    // The new process publishes the full set again.
    await subscriber.waitFor('powermon/ct2/pf', (message) => message.text === '0.12', 10_000);
  });

  it('says offline on a clean stop, and keeps saying it to late subscribers', async () => {
    subscriber.clear();
    await stack.processes.get('plugin-mqtt_v2')!.stop();
    await subscriber.waitFor('powermon/status', (message) => message.text === 'offline', 10_000);
    const late = await TestClient.connect(`mqtt://127.0.0.1:${other.plainPort}`, { protocolVersion: 4 });
    try {
      await late.subscribe('powermon/status');
      const retained = await late.waitFor('powermon/status');
      expect({ text: retained.text, retain: retained.retain }).toEqual({ text: 'offline', retain: true });
    } finally {
      await late.close();
    }
  });

  it('names a missing or invalid key instead of crashing', async () => {
    const config = join(dir.path, 'bad.toml');
    writeFileSync(
      config,
      `[mqtt]\nurl = "${wattbus.url}"\n\n[plugins.mqtt_v2]\nenabled = true\nport = "1883"\nrestart_delay = 5\n`,
    );
    const runner = spawnNode('bad-mqtt_v2', 'services/plugin-runner/dist/main.js', {
      WATTBUS_CONFIG: config,
      WATTBUS_PLUGIN_ID: 'mqtt_v2',
    });
    await runner.waitForLine(
      /host = \(missing\): is required: the host name or IP address of the MQTT broker/,
    );
    await runner.waitForLine(/port = \\"1883\\": must be a port number from 1 to 65535, without quotes/);
    await runner.stop();
  });
});
