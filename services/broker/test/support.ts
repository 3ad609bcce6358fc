import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { startWattbusBroker, type TestBroker } from '../../../test/helpers/brokers.js';
import { tempDir } from '../../../test/helpers/temp.js';
import { hashPassword, writePasswordFile } from '../src/access/password-file.js';

export interface BrokerSetup {
  /** Password-file users: name -> password. */
  users?: Record<string, string>;
  /** Service accounts: name -> password (WATTBUS_SERVICE_ACCOUNT_<NAME>). */
  accounts?: Record<string, string>;
  /** acl_file contents. */
  acl?: string;
  anonymous?: boolean;
  /** Extra environment, e.g. WATTBUS__BROKER__MAX_PACKET_SIZE. */
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
}

export interface SecuredBroker extends TestBroker {
  /** Where the password and ACL files are. */
  configDir: string;
}

/** The embedded broker as a real process, with users, service accounts and rules written to a temp directory. */
export async function startSecuredBroker(setup: BrokerSetup = {}): Promise<SecuredBroker> {
  const dir = tempDir('wattbus-broker-config-');
  const users = new Map<string, string>();
  for (const [name, password] of Object.entries(setup.users ?? {}))
    users.set(name, await hashPassword(password));
  const passwordFile = join(dir.path, 'passwd');
  writePasswordFile(passwordFile, users);
  const env: Record<string, string> = {
    WATTBUS__BROKER__ALLOW_ANONYMOUS: String(setup.anonymous ?? false),
    WATTBUS__BROKER__PASSWORD_FILE: passwordFile,
    ...setup.env,
  };
  if (setup.acl !== undefined) {
    env.WATTBUS__BROKER__ACL_FILE = join(dir.path, 'acl');
    writeFileSync(env.WATTBUS__BROKER__ACL_FILE, setup.acl);
  }
  for (const [name, password] of Object.entries(setup.accounts ?? {})) {
    env[`WATTBUS_SERVICE_ACCOUNT_${name.toUpperCase()}`] = password;
  }
  const broker = await startWattbusBroker(env, { dataDir: setup.dataDir, port: setup.port });
  return {
    ...broker,
    configDir: dir.path,
    async stop() {
      await broker.stop();
      dir.remove();
    },
  };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCommand {
  /** Resolves with the first stdout line matching, e.g. mosquitto_sub's "received SUBACK" in -d mode. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  finished: Promise<Finished>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs a program nobody here wrote (mosquitto_pub, mosquitto_sub), capturing its output. It is killed after
 * `timeoutMs`, so a hang fails the test with the program's output instead of a bare test timeout.
 */
export function runCommand(
  command: string,
  args: string[],
  input?: string,
  timeoutMs = 30_000,
): RunningCommand {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const deadline = setTimeout(() => {
    stderr += `\n[killed after ${timeoutMs} ms: ${command} ${args.join(' ')}]`;
    child.kill('SIGKILL');
  }, timeoutMs);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<{ pattern: RegExp; resolve(): void }>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters) {
      if (waiter.pattern.test(stdout)) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(input ?? '');
  const finished = new Promise<Finished>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    finished,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    waitForOutput(pattern, timeoutMs = 15_000) {
      if (pattern.test(stdout)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`${command}: no output matching ${pattern} in ${timeoutMs} ms\n${stdout}\n${stderr}`),
          );
        }, timeoutMs);
        const waiter = {
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.add(waiter);
        void finished.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${command} exited before ${pattern}:\n${stdout}\n${stderr}`));
        });
      });
    },
  };
}

/** A raw TCP connection, for bytes no MQTT client library would send. */
export function rawSocket(port: number): Promise<Socket & { ended: Promise<void>; received: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1') as Socket & { ended: Promise<void>; received: Buffer[] };
    socket.received = [];
    socket.on('data', (data) => socket.received.push(data));
    socket.ended = new Promise((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      // A reset by the broker is what several tests expect; it must not fail the test process.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/**
 * How a connection attempt ends: `connected`, or the error (`closed` when the broker just closes the connection;
 * mqtt.js then emits no error, and connectAsync would wait forever).
 */
export function connectOutcome(url: string, options: IClientOptions = {}): Promise<string> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
  return new Promise((resolve) => {
    const finish = (outcome: string) => {
      client.end(true);
      resolve(outcome);
    };
    client.once('connect', () => finish('connected'));
    client.once('error', (error) => finish(error.message));
    client.once('close', () => finish('closed'));
  });
}

/** The granted QoS or refusal code of each filter, as the SUBACK said (mqtt.js rejects when one is refused). */
export async function subscribeCodes(client: mqtt.MqttClient, filters: string[]): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    return granted.map((grant) => grant.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted.map((grant) => (typeof grant === 'number' ? grant : grant.qos));
  }
}

export { packets } from '../../../test/helpers/mqtt-packets.js';
