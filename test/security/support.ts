import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import type { TestClient } from '../helpers/mqtt.js';

/** MQTT 5 reason codes the broker answers refusals with (docs/broker.md, "What a refusal looks like"). */
export const NOT_AUTHORIZED = 0x87;
export const BAD_USERNAME_OR_PASSWORD = 0x86;

/**
 * Subscribes to one filter and returns the SUBACK reason code the broker gave it (0-2: granted QoS, 0x80 and up:
 * refused). mqtt.js turns a refusal into an error; the code is what the test needs to see.
 */
export function subscribeReasonCode(client: TestClient, filter: string): Promise<number> {
  return subscribeReasonCodes(client.client, [filter]).then((codes) => codes[0]!);
}

/** The SUBACK reason codes of one SUBSCRIBE with several filters, in order. */
export function subscribeReasonCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos: 1 }, (error, _requested, packet) => {
      // On a refusal mqtt.js reports the requested QoS in its second argument; the SUBACK itself has the codes.
      const codes = packet && 'granted' in packet ? packet.granted : undefined;
      if (codes && codes.length === filters.length) resolve(codes.map(Number));
      else reject(error ?? new Error(`no SUBACK for ${filters.join(', ')}`));
    });
  });
}

/** Publishes at QoS 1 and returns the PUBACK reason code (0 = accepted, 0x87 = not authorized). */
export async function publishReasonCode(
  client: TestClient,
  topic: string,
  payload: string,
  retain = false,
): Promise<number> {
  try {
    await client.client.publishAsync(topic, payload, { qos: 1, retain });
    return 0;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}

/** The hardware row and every unit row of one hardware key, read while the registry keeps running. */
export function hardwareRows(databasePath: string, key: string): string[] {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const hardware = db.prepare('SELECT * FROM hardware WHERE key = ?').all(key) as { id: number }[];
    const ids = hardware.map((row) => row.id);
    const units = ids.flatMap((id) =>
      db.prepare('SELECT * FROM units WHERE hardware_id = ? ORDER BY device_id, unit').all(id),
    );
    const devices = ids.flatMap((id) =>
      db.prepare('SELECT * FROM devices WHERE hardware_id = ? ORDER BY device_id').all(id),
    );
    return [...hardware, ...devices, ...units].map((row) => JSON.stringify(row));
  } finally {
    db.close();
  }
}

export interface CommandResult {
  code: number | null;
  output: string;
}

/** Runs a Debian mosquitto client (`mosquitto_pub`, `mosquitto_sub`) and collects its exit code and output. */
export function runMosquittoClient(
  command: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not end within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Arguments that connect a mosquitto client to a broker URL (`mqtt://127.0.0.1:<port>`). */
export function mosquittoTarget(url: string, protocol: '5' | '311'): string[] {
  const { hostname, port } = new URL(url);
  return ['-h', hostname, '-p', port, '-V', protocol];
}
