import { join } from 'node:path';
import { topicFor, topics } from '@wattbus/shared';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  type ComposeBroker,
  type ComposeStack,
  startComposeBroker,
  startComposeStack,
} from '../helpers/compose-accounts.js';
import type { TestClient } from '../helpers/mqtt.js';
import { stopAllProcesses } from '../helpers/processes.js';
import { readRetainedTopics } from '../helpers/retained.js';
import {
  hardwareRows,
  NOT_AUTHORIZED,
  publishReasonCode,
  subscribeReasonCode,
  subscribeReasonCodes,
} from './support.js';

/**
 * Issue 8, security: plugins are isolated from each other with the compose accounts and rules. The embedded broker
 * runs as docker-compose.yml runs it; the registry, the sampler and the example plugin's runner run as real
 * processes under their own accounts (`registry`, `sampler`, `plugin_example`). The attacker is a rogue plugin with
 * the compose account of another plugin, `plugin_power_devices`, driven directly with mqtt.js so that it can try
 * what no honest runner would. A watcher with full access (a person's user without an acl_file) sees everything,
 * so "never reached anyone" is checked where it matters; every refusal has a positive control next to it.
 */
const BASE = 'wattbus';
const ROOTS = { base: BASE, discovery: 'homeassistant' };
const VICTIM = 'example';
const ATTACKER = 'power_devices';
const DEVICE = 'example';
const SWITCH_UNIT = 2;
const WATCHER: Account = { username: 'watcher', password: 'sees every topic there is' };

const victimTopic = (suffix: string) => `${BASE}/plugins/${VICTIM}/${suffix}`;
const attackerTopic = (suffix: string) => `${BASE}/plugins/${ATTACKER}/${suffix}`;
const SWITCH_STATE = topicFor(topics.unitState, ROOTS, { hw: VICTIM, device: DEVICE, unit: SWITCH_UNIT });
const SWITCH_SET = topicFor(topics.unitSet, ROOTS, { hw: VICTIM, device: DEVICE, unit: SWITCH_UNIT });

let broker: ComposeBroker;
let stack: ComposeStack;
let watcher: TestClient;
let attacker: TestClient;
let attackerAccount: Account;
const clients: TestClient[] = [];
let transactions = 0;

async function connect(account: Account, clientId: string): Promise<TestClient> {
  const client = await broker.connect(account, { clientId });
  clients.push(client);
  return client;
}

/** A plugin request on the attacker's OWN request topic (the only one it may use), and the registry's answer. */
async function attackerRequest(
  op: string,
  body: Record<string, unknown>,
): Promise<{ status: string; error?: string; data?: Record<string, unknown> }> {
  const transaction = `rogue-${++transactions}`;
  const answer = attacker.waitForJson<{ status: string; transaction?: string }>(
    attackerTopic(`response/${op}`),
    (response) => response.transaction === transaction,
    30_000,
  );
  expect(
    await publishReasonCode(
      attacker,
      attackerTopic(`request/${op}`),
      JSON.stringify({ ...body, transaction }),
    ),
  ).toBe(0);
  return (await answer) as { status: string; error?: string; data?: Record<string, unknown> };
}

beforeAll(async () => {
  broker = await startComposeBroker({ people: { [WATCHER.username]: WATCHER.password } });
  watcher = await connect(WATCHER, 'security-watcher');
  await watcher.subscribe([`${BASE}/#`, 'homeassistant/#', '$SYS/#']);
  stack = await startComposeStack(broker, {
    plugins: [VICTIM],
    // mode2: no meter heartbeat, so the victim's units change only when told to.
    extraConfig: `[plugins.${VICTIM}]\nenabled = true\nmode2 = "3600"\n`,
  });
  await watcher.waitForJson(SWITCH_STATE, (unit: { state?: string }) => unit.state === 'OFF', 60_000);
  await watcher.waitForJson(
    `${BASE}/bridge/event`,
    (event: { type?: string; data?: { plugin?: string } }) =>
      event.type === 'plugin_started' && event.data?.plugin === VICTIM,
    60_000,
  );
  attackerAccount = broker.accounts.account(`plugin_${ATTACKER}`);
  attacker = await connect(attackerAccount, 'rogue-plugin');
  await attacker.subscribe(attackerTopic('response/#'));
  // The rogue plugin gets hardware of its own, as a running plugin would have.
  const announced = await attackerRequest('hardware/announce', { plugin: ATTACKER, name: 'Rogue' });
  expect(announced.status).toBe('ok');
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await stack?.stop();
  await broker?.stop();
  await stopAllProcesses();
});

/** Everything the watcher received whose payload carries `marker`. */
const seenWith = (marker: string) =>
  watcher.messages.filter((message) => message.text.includes(marker)).map((message) => message.topic);

describe('a plugin cannot publish as another plugin', () => {
  it('its publishes to the other plugin’s request, lifecycle, state, event, command and response topics reach nobody', async () => {
    const marker = `forged-${Date.now()}`;
    const forged: [string, string, boolean][] = [
      [
        victimTopic('request/unit/update'),
        JSON.stringify({
          deviceId: DEVICE,
          unit: SWITCH_UNIT,
          changes: { nValue: 1, sValue: 'On' },
          transaction: marker,
        }),
        false,
      ],
      [
        victimTopic('request/hardware/announce'),
        JSON.stringify({ plugin: VICTIM, name: marker, transaction: marker }),
        false,
      ],
      [victimTopic('lifecycle'), JSON.stringify({ type: 'plugin_stopped', data: { reason: marker } }), false],
      [victimTopic('state'), `offline ${marker}`, true],
      [victimTopic('event'), JSON.stringify({ type: 'security', level: 1, description: marker }), false],
      [
        victimTopic('command'),
        JSON.stringify({
          deviceId: DEVICE,
          unit: SWITCH_UNIT,
          command: 'On',
          level: 0,
          color: null,
          source: marker,
        }),
        false,
      ],
      [
        victimTopic('response/config/get'),
        JSON.stringify({ status: 'ok', data: { configuration: { marker } } }),
        false,
      ],
      // Topics only the registry writes, even under the attacker's own id.
      [attackerTopic('response/config/get'), JSON.stringify({ status: 'ok', data: { marker } }), false],
      [attackerTopic('command'), JSON.stringify({ marker }), false],
      [attackerTopic('event'), JSON.stringify({ marker }), false],
      [
        `${BASE}/bridge/event`,
        JSON.stringify({ type: 'plugin_stopped', data: { plugin: VICTIM, marker } }),
        false,
      ],
      [`${BASE}/bridge/request/unit/rename`, JSON.stringify({ hardware: VICTIM, marker }), false],
      [`${BASE}/registry/state`, `offline ${marker}`, true],
      [`${BASE}/readings`, JSON.stringify({ marker }), false],
      ['homeassistant/status', `offline ${marker}`, false],
      ['$SYS/broker/forged', marker, false],
    ];
    for (const [topic, payload, retain] of forged) {
      expect({ topic, code: await publishReasonCode(attacker, topic, payload, retain) }).toEqual({
        topic,
        code: NOT_AUTHORIZED,
      });
    }
    // QoS 0 has no PUBACK to refuse with: those are dropped silently.
    for (const [topic, payload] of forged) await attacker.client.publishAsync(topic, payload, { qos: 0 });

    // An MQTT 3.1.1 client cannot be told no: the broker closes its connection, and the message goes nowhere.
    const legacy = await mqtt.connectAsync(broker.url, {
      ...attackerAccount,
      clientId: 'rogue-plugin-311',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => legacy.once('close', () => resolve()));
    legacy.publish(victimTopic('state'), `offline ${marker}`, { qos: 1, retain: true });
    await closed;
    legacy.end(true);

    // A will is checked like a publish, when the client connects.
    await expect(
      mqtt.connectAsync(broker.url, {
        ...attackerAccount,
        clientId: 'rogue-plugin-will',
        protocolVersion: 5,
        reconnectPeriod: 0,
        will: {
          topic: victimTopic('state'),
          payload: Buffer.from(`offline ${marker}`),
          qos: 1,
          retain: true,
        },
      }),
    ).rejects.toMatchObject({ code: NOT_AUTHORIZED });

    // Positive control, published last by the same client: its own state topic reaches the watcher. Delivery from
    // one publisher to one subscriber keeps its order, so anything forged above would have arrived before this.
    expect(await publishReasonCode(attacker, attackerTopic('state'), `online ${marker}`)).toBe(0);
    await watcher.waitFor(attackerTopic('state'), (message) => message.text === `online ${marker}`);
    expect(seenWith(marker)).toEqual([attackerTopic('state')]);

    // The victim is still online, in the retained store and to the registry.
    const retained = await readRetainedTopics(broker.url, [victimTopic('state'), `${BASE}/registry/state`], {
      clientOptions: WATCHER,
      minCount: 2,
      quietMs: 300,
    });
    expect(retained.get(victimTopic('state'))).toBe('online');
    expect(retained.get(`${BASE}/registry/state`)).toBe('online');
    const refusals = broker.process!.lines.filter(
      (line) => line.includes('refused publish') && line.includes('"username":"plugin_power_devices"'),
    );
    expect(refusals.length).toBeGreaterThan(0);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ rules: `role plugin (${ATTACKER})` });
  });
});

describe('a plugin cannot change another plugin’s units', () => {
  it('not through registry requests on its own request topic, and not by publishing unit state or set', async () => {
    const databasePath = join(stack.dataDir, 'registry', 'registry.db');
    const unitsBefore = hardwareRows(databasePath, VICTIM);
    expect(unitsBefore.filter((row) => row.includes('"s_value"'))).toHaveLength(2);
    const stateBefore = await readRetainedTopics(broker.url, [`${BASE}/devices/${VICTIM}/#`], {
      clientOptions: WATCHER,
      minCount: 2,
      quietMs: 300,
    });
    const victimHardwareId = (JSON.parse(unitsBefore[0]!) as { id: number }).id;

    // Requests that name the victim's device (or its hardware) on the attacker's own request topic.
    const key = { deviceId: DEVICE, unit: SWITCH_UNIT };
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['unit/update', { ...key, changes: { nValue: 1, sValue: 'On' } }, /does not exist|not found|unknown/i],
      ['unit/update', { ...key, hardware: VICTIM, changes: { nValue: 1 } }, /invalid request.*hardware/i],
      ['unit/delete', key, /does not exist|not found|unknown/i],
      ['unit/touch', key, /does not exist|not found|unknown/i],
      ['device/timedout', { deviceId: DEVICE, timedOut: true }, /does not exist|not found|unknown/i],
    ];
    for (const [op, body, error] of refused) {
      const response = await attackerRequest(op, body);
      expect({ op, ...response }).toMatchObject({ op, status: 'error', error: expect.stringMatching(error) });
    }
    // A batch is answered per update, each refused the same way.
    expect(
      await attackerRequest('units/update', { updates: [{ ...key, changes: { nValue: 1, sValue: 'On' } }] }),
    ).toMatchObject({
      status: 'ok',
      data: { results: [{ error: expect.stringMatching(/does not exist/i) }] },
    });
    // Reads answer from the attacker's own hardware only.
    expect(await attackerRequest('unit/refresh', key)).toMatchObject({ status: 'ok', data: { unit: null } });
    expect(await attackerRequest('devices/list', {})).toMatchObject({ status: 'ok', data: { devices: [] } });
    // Announcing itself as the victim's plugin type renames only its own hardware.
    const announce = await attackerRequest('hardware/announce', { plugin: VICTIM, name: 'Example' });
    expect(announce.status).toBe('ok');
    expect(announce.data?.hardwareId).not.toBe(victimHardwareId);

    // Unit state and commands straight to the broker: only the registry writes unit state, and only Home
    // Assistant's account sends set commands.
    const forgedState = JSON.stringify({ nValue: 1, sValue: 'On', state: 'ON', forged: true });
    for (const [topic, payload, retain] of [
      [SWITCH_STATE, forgedState, true],
      [SWITCH_SET, 'On', false],
      [`${SWITCH_STATE}/set`, 'Toggle', true],
      [topicFor(topics.unitState, ROOTS, { hw: ATTACKER, device: DEVICE, unit: 1 }), forgedState, true],
    ] as const) {
      expect({ topic, code: await publishReasonCode(attacker, topic, payload, retain) }).toEqual({
        topic,
        code: NOT_AUTHORIZED,
      });
    }

    // A request the registry serves after all of the above: once it is answered, everything before it is done.
    expect((await attackerRequest('devices/list', {})).status).toBe('ok');
    expect(hardwareRows(databasePath, VICTIM)).toEqual(unitsBefore);
    const stateAfter = await readRetainedTopics(broker.url, [`${BASE}/devices/${VICTIM}/#`], {
      clientOptions: WATCHER,
      minCount: stateBefore.size,
      quietMs: 300,
    });
    expect(stateAfter).toEqual(stateBefore);
    expect(watcher.messages.filter((message) => message.text.includes('"forged":true'))).toEqual([]);
    expect(stack.processes.get(`plugin-${VICTIM}`)!.lines.join('\n')).not.toMatch(/switch turned On/);

    // Positive control: the same command from Home Assistant's account does switch the unit, and the checks above
    // see it (the database row and the retained state change).
    const homeassistant = await connect(broker.accounts.account('homeassistant'), 'security-homeassistant');
    expect(await publishReasonCode(homeassistant, SWITCH_SET, 'On')).toBe(0);
    await watcher.waitForJson(SWITCH_STATE, (unit: { state?: string }) => unit.state === 'ON', 30_000);
    await stack.processes.get(`plugin-${VICTIM}`)!.waitForLine(/switch turned On/, 30_000);
    expect(hardwareRows(databasePath, VICTIM)).not.toEqual(unitsBefore);
  });
});

describe('a plugin cannot read other credentials', () => {
  it('subscriptions to other plugins’ responses, commands and $SYS are refused, and real messages there never reach it', async () => {
    const spy = await connect(attackerAccount, 'rogue-plugin-reader');
    const forbidden = [
      victimTopic('response/#'),
      victimTopic('response/config/get'),
      victimTopic('response/config/set'),
      victimTopic('command'),
      victimTopic('#'),
      `${BASE}/plugins/+/response/#`,
      `${BASE}/plugins/+/command`,
      `${BASE}/plugins/#`,
      `+/plugins/${VICTIM}/response/#`,
      `${BASE}/devices/${VICTIM}/#`,
      `${BASE}/devices/#`,
      `${BASE}/bridge/#`,
      `${BASE}/#`,
      '#',
      '+/#',
      '$SYS/#',
      '$SYS/+/new/clients',
      `$share/rogue/${victimTopic('response/#')}`,
    ];
    for (const filter of forbidden) {
      const code = await subscribeReasonCode(spy, filter);
      expect({ filter, refused: code >= 0x80 }).toEqual({ filter, refused: true });
    }
    // Positive control: its own subtree is granted.
    expect(await subscribeReasonCode(spy, attackerTopic('#'))).toBe(1);

    // MQTT 3.1.1: the same refusal as SUBACK 0x80.
    const legacy = await mqtt.connectAsync(broker.url, {
      ...attackerAccount,
      clientId: 'rogue-plugin-reader-311',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const granted = await subscribeReasonCodes(legacy, [
      victimTopic('response/#'),
      '$SYS/#',
      attackerTopic('#'),
    ]);
    expect(granted).toEqual([0x80, 0x80, 1]);
    legacy.end(true);

    // Real messages on those topics: the registry answers a configuration request with the victim's secrets...
    const secret = `secret-${Date.now()}`;
    const operator = await connect(WATCHER, 'security-operator');
    expect(
      await publishReasonCode(
        operator,
        victimTopic('request/config/set'),
        JSON.stringify({ configuration: { password: secret }, transaction: 'operator-1' }),
      ),
    ).toBe(0);
    await watcher.waitFor(victimTopic('response/config/set'), (message) => message.text.includes(secret));
    expect(
      await publishReasonCode(
        operator,
        victimTopic('request/config/get'),
        JSON.stringify({ transaction: 'operator-2' }),
      ),
    ).toBe(0);
    await watcher.waitFor(victimTopic('response/config/get'), (message) => message.text.includes(secret));
    // ...routes a command to the victim...
    const homeassistant = await connect(broker.accounts.account('homeassistant'), 'security-homeassistant-2');
    expect(await publishReasonCode(homeassistant, SWITCH_SET, 'Off')).toBe(0);
    await watcher.waitForJson(
      victimTopic('command'),
      (command: { command?: string }) => command.command === 'Off',
    );
    // ...and reports a new client on $SYS.
    const newcomer = await connect(WATCHER, `security-newcomer-${Date.now()}`);
    await watcher.waitFor(
      '$SYS/+/new/clients',
      (message) => message.text === newcomer.client.options.clientId,
    );

    // End marker, last: a message it may read. Everything above was delivered before it, or not at all.
    expect(await publishReasonCode(operator, attackerTopic('command'), 'end of test')).toBe(0);
    await spy.waitFor(attackerTopic('command'), (message) => message.text === 'end of test');
    expect(spy.messages.map((message) => message.topic)).toEqual([attackerTopic('command')]);
    expect(spy.messages.some((message) => message.text.includes(secret))).toBe(false);
  });
});

describe('a plugin cannot knock another service off the bus', () => {
  it('connecting with the client id of the other plugin’s runner is refused; the runner stays connected', async () => {
    const marker = Date.now();
    const from = watcher.messages.length;
    const runnerClientId = `wattbus-plugin-${VICTIM}`;
    const registryClientId = 'wattbus-registry';
    for (const clientId of [runnerClientId, registryClientId]) {
      await expect(
        mqtt.connectAsync(broker.url, {
          ...attackerAccount,
          clientId,
          protocolVersion: 5,
          reconnectPeriod: 0,
        }),
      ).rejects.toMatchObject({ code: NOT_AUTHORIZED });
    }
    // Positive control: the same user may still take over its own client id (a restarted container whose old
    // connection the broker has not noticed dying yet).
    const first = await mqtt.connectAsync(broker.url, {
      ...attackerAccount,
      clientId: 'rogue-twin',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const kicked = new Promise<number | undefined>((resolve) =>
      first.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const second = await mqtt.connectAsync(broker.url, {
      ...attackerAccount,
      clientId: 'rogue-twin',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    expect(await kicked).toBe(0x8e);
    first.end(true);
    second.end(true);
    // And the broker still serves everyone else.
    const control = await connect(WATCHER, `security-control-${marker}`);
    expect(await publishReasonCode(control, attackerTopic('command'), `still serving ${marker}`)).toBe(0);
    await watcher.waitFor(attackerTopic('command'), (message) => message.text === `still serving ${marker}`);
    // Neither the runner nor the registry was disconnected: no `offline` on their state topics, no offline event.
    const offline = watcher.messages
      .slice(from)
      .filter(
        (message) =>
          (message.topic === victimTopic('state') || message.topic === `${BASE}/registry/state`) &&
          message.text === 'offline',
      );
    expect(offline).toEqual([]);
    expect(watcher.messages.slice(from).filter((message) => message.text.includes('plugin_offline'))).toEqual(
      [],
    );
    expect(
      broker.process!.lines.filter(
        (line) => line.includes('takes over its session') && line.includes(runnerClientId),
      ),
    ).toEqual([]);
    const line = await broker.process!.waitForLine(/client id .*another user/);
    expect(JSON.parse(line)).toMatchObject({ clientId: runnerClientId, username: attackerAccount.username });
  });
});
