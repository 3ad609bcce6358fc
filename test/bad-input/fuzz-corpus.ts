/**
 * The bad-input corpus: a reproducible stream of messages, every one of which a wattbus service must refuse, for
 * every topic a service listens on. Each message says who sends it (which broker account), how it is malformed
 * (its class) and how its refusal must show: an error response, a bridge event, a log line naming the topic, or
 * the broker's "not authorized". The same seed always gives the same corpus (mulberry32), so a failure
 * reproduces with `WATTBUS_FUZZ_SEED=<seed>`.
 *
 * The corpus targets the stack of fuzz.test.ts: base topic `wattbus`, discovery prefix `homeassistant`, and the
 * example plugin on hardware `example` with DeviceID `example`: unit 1 a kWh meter, unit 2 a switch.
 */

export const BASE = 'wattbus';
export const DISCOVERY = 'homeassistant';
export const HW = 'example';
export const DEVICE = 'example';
export const METER_UNIT = 1;
export const SWITCH_UNIT = 2;

/** Who publishes: the plugin's own account, another plugin's account, Home Assistant's, or a person's user. */
export type Sender = 'plugin' | 'intruder' | 'homeassistant' | 'people';

/** How a refusal must show. */
export type Expectation =
  /** An error response on `topic` carrying `transaction` (and never `status: ok`). */
  | { kind: 'response'; topic: string; transaction: string }
  /** An error response on `topic` without a transaction (the envelope itself was unreadable). */
  | { kind: 'anonymous-response'; topic: string }
  /** A `<base>/bridge/event` of `type` whose `data.topic` is the message's topic. */
  | { kind: 'event'; type: 'command_failed' | 'request_rejected'; topic: string }
  /** A log line of `process` with message `msg` and `topic` set to the message's topic. */
  | { kind: 'log'; process: 'registry' | 'plugin' | 'sampler'; msg: string; topic: string }
  /** The broker refuses the publish (MQTT 5 PUBACK 0x87). */
  | { kind: 'refused' }
  /** No service subscribes to the topic: the broker routes it to nobody. */
  | { kind: 'unrouted' };

/**
 * The wording of a refusal, for the classes that share a topic with other classes. Answers without a transaction
 * (anonymous responses, events, log lines) can be tied to a topic but not to one message, so the sample reason
 * shown for such a class is the first on its topic with this wording; a class whose kind of reason never appears
 * gets no sample and fails the test.
 */
const ENVELOPE_REASONS: Record<string, RegExp> = {
  'invalid-json': /not valid JSON/,
  'deep-json': /nested more than \d+ levels/,
  'invalid-utf8': /not valid UTF-8/,
  'not-an-object': /expected object/,
  huge: /payload is \d+ bytes; the limit is/,
  'control-characters': /Bad control character/,
  'bad-transaction': /^invalid request: transaction: /,
};
const REASONS: Record<string, RegExp> = {
  ...Object.fromEntries(
    Object.entries(ENVELOPE_REASONS).flatMap(([cls, reason]) => [
      [`plugin-request/${cls}`, reason],
      [`bridge-request/${cls}`, reason],
    ]),
  ),
  'command/retained': /retain flag/,
  'command/bad-unit-level': /does not match devices\/\{hw\}\/\{device\}\/\{unit\}\/set/,
  'command/strange-device-id': /does not (match|exist)/,
  'command/unknown-hardware': /does not (match|exist)/,
  'command/wrong-type': /does not take commands/,
  'command/not-a-command': /does not accept/,
  'command/invalid-utf8': /not valid UTF-8/,
  'command/control-characters': /does not accept "[^"]*\\u00(0|1)/,
  'command/huge': /payload is \d+ bytes; the limit is/,
  'homeassistant-status/invalid': /expected one of "online"\|"offline"/,
  'startup/unreadable-homeassistant-status': /expected one of "online"\|"offline"/,
  'startup/stale-bridge-request': /stale/,
  'startup/stale-plugin-request': /stale/,
  'startup/stale-set-command': /retain flag/,
};

/** The wording a refusal of `cls` must have, when answers on its topic cannot be told apart otherwise. */
export function expectedReason(cls: string): RegExp | undefined {
  return REASONS[cls];
}

export interface FuzzMessage {
  index: number;
  sender: Sender;
  /** What is wrong with it, e.g. `bridge-request/schema`. */
  cls: string;
  topic: string;
  payload: Buffer;
  retain: boolean;
  expect: Expectation;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; plenty for choosing test inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_PAYLOAD_BYTES = 256 * 1024;

const PLUGIN_OPS = [
  'hardware/announce',
  'devices/list',
  'device/refresh',
  'device/timedout',
  'unit/create',
  'unit/update',
  'units/update',
  'unit/delete',
  'unit/refresh',
  'unit/touch',
  'unit/history',
  'config/get',
  'config/set',
  'notifier/register',
] as const;

const BRIDGE_PATHS = [
  'devices/list',
  'unit/create',
  'unit/rename',
  'unit/used',
  'unit/options',
  'unit/remove',
  'device/remove',
  'unit/command',
  'unit/history',
  'discovery/republish',
  'settings/set',
  'notification/send',
  'security/set',
] as const;

/** DeviceIDs that exist nowhere, full of what topics and URLs cannot carry. */
const STRANGE_DEVICE_IDS = [
  '/',
  '+',
  '#',
  '%',
  '%25',
  'a/b+c#d%e',
  '//++##%%',
  '../../etc/passwd',
  '\u0000',
  '\u001b[31mred',
  '\u0085next line',
  'café ☕',
  '🔌🔌🔌',
  ' ',
  'x'.repeat(25),
];

/** Values that are not a unit number 1-255. */
const BAD_UNITS: unknown[] = [0, 256, -1, 1.5, '1', null, true, 1e21, [], {}, 65536, -0.5];

/** Texts that are not JSON. */
const NOT_JSON = [
  '',
  '{',
  '}{',
  '{"transaction":',
  '[1,2',
  "{'single':'quotes'}",
  'NaN',
  'undefined',
  '{"a":1,}',
  '\u0000\u0001\u0002',
  'On',
  '<xml/>',
  '{"transaction":"x" "b":1}',
];

/** Byte sequences that are not UTF-8. */
const NOT_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0x80],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
];

/** JSON values that are not an object. */
const NOT_OBJECT = ['null', '[]', '[{"transaction":"t"}]', '42', '"text"', 'true', '-0'];

/** `transaction` values the envelope refuses: it must be a string of at most 128 characters or an integer. */
const BAD_TRANSACTIONS: unknown[] = [{}, [], 1.5, true, null, 'x'.repeat(129)];

export interface CorpusOptions {
  seed: number;
  count: number;
}

/** Builds the corpus. Pure: the same options give the same messages, byte for byte. */
export function buildCorpus({ seed, count }: CorpusOptions): FuzzMessage[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  let hugeLeft = 24;
  let index = 0;
  const messages: FuzzMessage[] = [];
  const tx = () => `fz-${seed}-${index}`;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const text = (value: string) => Buffer.from(value, 'utf8');

  const randomText = (length: number) => {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(int(0x20, 0x7e));
    return out;
  };
  const randomBytes = (length: number) => Buffer.from(Array.from({ length }, () => int(0, 255)));
  const notUtf8 = (prefix: string) => Buffer.concat([text(prefix), Buffer.from(pick(NOT_UTF8)), text('"}')]);
  const huge = (transaction?: string) => {
    // Over the 256 KiB every subscriber refuses before parsing; valid JSON, so only the size is wrong.
    const filler = 'x'.repeat(MAX_PAYLOAD_BYTES + int(1, 64 * 1024));
    return json({ ...(transaction ? { transaction } : {}), filler });
  };
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  /**
   * An envelope that cannot be read (so no transaction can be answered): not JSON, not UTF-8, not an object, a
   * bad transaction, or too large.
   */
  const unreadableEnvelope = (): { cls: string; payload: Buffer } => {
    const which = int(0, 10);
    if (which <= 2) return { cls: 'invalid-json', payload: text(pick(NOT_JSON)) };
    if (which === 10) {
      // Valid JSON, nested far deeper than any wattbus message: recursive validation must not overflow the stack.
      return {
        cls: 'deep-json',
        payload: text(`{"transaction":"t","configuration":{"a":${deep(int(200, 20_000))}}}`),
      };
    }
    if (which === 3) return { cls: 'invalid-json', payload: randomBytes(int(1, 64)) };
    if (which <= 5) return { cls: 'invalid-utf8', payload: notUtf8('{"transaction":"t","deviceId":"') };
    if (which === 6) return { cls: 'not-an-object', payload: text(pick(NOT_OBJECT)) };
    if (which === 7 && hugeLeft > 0) {
      hugeLeft--;
      return { cls: 'huge', payload: huge('t') };
    }
    if (which === 8) {
      // Raw control characters inside a JSON string are not JSON.
      return { cls: 'control-characters', payload: text('{"transaction":"t","name":"a\u0000\u0007\u001b"}') };
    }
    return {
      cls: 'bad-transaction',
      payload: json({ transaction: pick(BAD_TRANSACTIONS), deviceId: DEVICE }),
    };
  };

  // ---- bodies that fail the operation's schema, or name nothing that exists -------------------------------

  const badUnit = () => pick(BAD_UNITS);
  const strangeId = () => pick(STRANGE_DEVICE_IDS);
  const tooLongId = () => 'd'.repeat(int(26, 200));
  const existing = () => ({ deviceId: DEVICE, unit: pick([METER_UNIT, SWITCH_UNIT]) });

  /** A plugin request body for `op` that must be refused (given hardware `example`, which exists). */
  const pluginBody = (op: string): Record<string, unknown> => {
    switch (op) {
      case 'hardware/announce':
        return pick<Record<string, unknown>>([
          { plugin: '', name: 'x' },
          { plugin: 'example', name: 'x'.repeat(101) },
          { plugin: 'example', name: 'x', layout: 'sideways' },
          { plugin: 'example', name: 'x', settings: { Mode1: 5 } },
          { plugin: 7, name: 'x' },
          { plugin: 'example', name: 'x', extra: true },
          { name: 'x' },
        ]);
      case 'devices/list':
      case 'config/get':
        return pick<Record<string, unknown>>([{ deviceId: DEVICE }, { all: true }, { constructor: 1 }]);
      case 'device/refresh':
        return pick<Record<string, unknown>>([{ deviceId: tooLongId() }, { deviceId: 5 }, {}]);
      case 'device/timedout':
        return pick<Record<string, unknown>>([
          { deviceId: DEVICE, timedOut: 'yes' },
          { deviceId: strangeId(), timedOut: true },
          { deviceId: DEVICE },
          { deviceId: '\ud800', timedOut: true },
        ]);
      case 'unit/create':
        return pick<Record<string, unknown>>([
          { deviceId: strangeId(), unit: badUnit(), name: 'x', typeName: 'Switch' },
          { deviceId: tooLongId(), unit: 3, name: 'x', typeName: 'Switch' },
          { deviceId: strangeId(), unit: 3, name: '', typeName: 'Switch' },
          { deviceId: strangeId(), unit: 3, name: 'x'.repeat(101), typeName: 'Switch' },
          { deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch', nValue: 'on' },
          { deviceId: strangeId(), unit: 3, name: 'x', type: 256 },
          { deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch', options: { a: 1 } },
          { deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch', batteryLevel: -1 },
          { deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch', hacked: true },
          { deviceId: DEVICE, unit: SWITCH_UNIT, name: 'x', typeName: 'Switch', image: -5 },
          { unit: 3, name: 'x', typeName: 'Switch', sValue: 'x'.repeat(4097) },
        ]);
      case 'unit/update':
        return pick<Record<string, unknown>>([
          { ...existing(), unit: badUnit(), changes: { nValue: 1 } },
          { ...existing(), changes: { nValue: '1' } },
          { ...existing(), changes: { nValue: 2 ** 31 } },
          { ...existing(), changes: { sValue: 5 } },
          { ...existing(), changes: { used: 'yes' } },
          { ...existing(), changes: { options: { a: ['b'] } } },
          { ...existing(), changes: { name: '' } },
          { ...existing(), changes: 'On' },
          { ...existing(), changes: { nValue: 1 }, log: 'yes' },
          { ...existing(), changes: { nValue: 1 }, hacked: 1 },
          { ...existing(), changes: { timedOut: 1 } },
          { ...existing(), changes: { type: -1 } },
          { deviceId: strangeId(), unit: SWITCH_UNIT, changes: { nValue: 1, sValue: 'On' } },
          { deviceId: tooLongId(), unit: SWITCH_UNIT, changes: { nValue: 1 } },
          { deviceId: DEVICE, unit: 200, changes: { nValue: 1, sValue: 'On' } },
        ]);
      case 'units/update': {
        // Refused whole: a request that fails the schema changes nothing, not even its valid updates.
        const valid = { ...existing(), changes: { nValue: 1, sValue: 'On' } };
        return pick<Record<string, unknown>>([
          { updates: [] },
          { updates: 'On' },
          { updates: [valid, { ...existing(), unit: badUnit(), changes: { nValue: 1 } }] },
          { updates: [valid, { ...existing(), changes: { nValue: '1' } }] },
          { updates: [valid, { deviceId: tooLongId(), unit: SWITCH_UNIT, changes: {} }] },
          { updates: Array.from({ length: 101 }, () => valid) },
          { updates: [valid], hacked: true },
          {},
        ]);
      }
      case 'unit/delete':
      case 'unit/refresh':
      case 'unit/touch': {
        const invalid: Record<string, unknown>[] = [
          { deviceId: DEVICE, unit: badUnit() },
          { deviceId: tooLongId(), unit: 1 },
          { deviceId: DEVICE },
          { deviceId: DEVICE, unit: SWITCH_UNIT, force: true },
        ];
        // unit/refresh answers `{unit: null}` for a unit that does not exist: only the others refuse it.
        if (op !== 'unit/refresh')
          invalid.push({ deviceId: strangeId(), unit: SWITCH_UNIT }, { deviceId: DEVICE, unit: 77 });
        return pick(invalid);
      }
      case 'unit/history':
        return pick<Record<string, unknown>>([
          { ...existing(), from: 'yesterday' },
          { ...existing(), limit: 0 },
          { ...existing(), limit: 100001 },
          { ...existing(), to: 12 },
          { deviceId: DEVICE, unit: badUnit() },
        ]);
      case 'config/set':
        return pick<Record<string, unknown>>([
          { configuration: 'x' },
          { configuration: [1, 2] },
          { configuration: null },
          {},
          { configuration: {}, extra: 1 },
        ]);
      default:
        // notifier/register
        return pick<Record<string, unknown>>([{ name: '' }, { name: 'x'.repeat(101) }, { name: 5 }, {}]);
    }
  };

  /** A unit address that fails the schema. */
  const invalidAddress = () =>
    pick<Record<string, unknown>>([
      { hardware: HW, deviceId: DEVICE, unit: badUnit() },
      { hardware: HW, deviceId: tooLongId(), unit: SWITCH_UNIT },
      { hardware: 'a/b', deviceId: DEVICE, unit: SWITCH_UNIT },
      { hardware: '', deviceId: DEVICE, unit: SWITCH_UNIT },
      { hardware: HW, unit: SWITCH_UNIT },
    ]);
  /** A unit address that fails the schema or names a unit that does not exist. */
  const address = () =>
    pick<Record<string, unknown>>([
      { hardware: HW, deviceId: DEVICE, unit: badUnit() },
      { hardware: HW, deviceId: strangeId(), unit: SWITCH_UNIT },
      { hardware: HW, deviceId: tooLongId(), unit: SWITCH_UNIT },
      { hardware: 'ghost', deviceId: DEVICE, unit: SWITCH_UNIT },
      { hardware: 'a/b', deviceId: DEVICE, unit: SWITCH_UNIT },
      { hardware: '', deviceId: DEVICE, unit: SWITCH_UNIT },
      { hardware: HW, deviceId: DEVICE, unit: 99 },
      { hardware: HW, unit: SWITCH_UNIT },
    ]);

  /** A bridge request body for `path` that must be refused. */
  const bridgeBody = (path: string): Record<string, unknown> => {
    switch (path) {
      case 'devices/list':
        return pick<Record<string, unknown>>([{ hardware: 'a b' }, { hardware: 5 }, { all: true }]);
      case 'unit/create':
        return pick<Record<string, unknown>>([
          { hardware: HW, deviceId: strangeId(), unit: badUnit(), name: 'x', typeName: 'Switch' },
          { hardware: 'ghost!', deviceId: 'x', unit: 3, name: 'x', typeName: 'Switch' },
          { hardware: HW, deviceId: tooLongId(), unit: 3, name: 'x', typeName: 'Switch' },
          { hardware: HW, deviceId: strangeId(), unit: 3, name: '', typeName: 'Switch' },
          { hardware: HW, deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch', extra: 1 },
          { deviceId: strangeId(), unit: 3, name: 'x', typeName: 'Switch' },
        ]);
      case 'unit/rename':
        return pick<Record<string, unknown>>([
          { ...address(), name: 'x' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, name: '' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, name: '   ' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, name: 'x'.repeat(101) },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, name: 5 },
        ]);
      case 'unit/used':
        return pick<Record<string, unknown>>([
          { ...address(), used: false },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, used: 'no' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT },
        ]);
      case 'unit/options':
        return pick<Record<string, unknown>>([
          { ...address(), options: {} },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, options: { a: 1 } },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, options: { ['k'.repeat(257)]: 'v' } },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, options: { a: 'v'.repeat(4097) } },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, options: 'LevelNames=Off|On' },
        ]);
      case 'unit/remove':
        // Removing what does not exist is a successful no-op (`{removed: false}`): only malformed ones refuse.
        return invalidAddress();
      case 'device/remove':
        return pick<Record<string, unknown>>([
          { hardware: HW, deviceId: tooLongId() },
          { hardware: 'gh ost', deviceId: DEVICE },
          { hardware: HW },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT },
        ]);
      case 'unit/command':
        return pick<Record<string, unknown>>([
          { ...address(), command: 'On' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: 'Set Level', level: 40 },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: 'Explode' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: '' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: 'On', level: 'high' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: 'On', color: { m: 9 } },
          { hardware: HW, deviceId: DEVICE, unit: METER_UNIT, command: 'On' },
          { hardware: HW, deviceId: DEVICE, unit: SWITCH_UNIT, command: 'x'.repeat(65) },
        ]);
      case 'unit/history':
        return pick<Record<string, unknown>>([
          { hardware: HW, deviceId: DEVICE, unit: METER_UNIT, from: 'last week' },
          { hardware: HW, deviceId: DEVICE, unit: METER_UNIT, limit: -1 },
          { ...address() },
        ]);
      case 'discovery/republish':
        return pick<Record<string, unknown>>([{ now: true }, { prefix: 'x' }]);
      case 'settings/set':
        return pick<Record<string, unknown>>([
          { settings: { Title: 5 } },
          { settings: 'Title=x' },
          { settings: { ['k'.repeat(101)]: 'v' } },
          { settings: { Title: 'v'.repeat(1001) } },
          { settings: { Title: 'x' }, extra: 1 },
          {},
        ]);
      case 'notification/send':
        return pick<Record<string, unknown>>([
          { text: 'no subject' },
          { subject: 5 },
          { subject: 's', priority: 'urgent' },
          { subject: 's', spam: true },
        ]);
      default:
        // security/set
        return pick<Record<string, unknown>>([
          { level: 'armed', description: 'x' },
          { level: 1 },
          { level: 1, description: 'x', unit: badUnit(), deviceId: DEVICE, hardware: HW },
          { level: 1.5, description: 'x' },
        ]);
    }
  };

  /** A path of several levels that names no operation, or one the topic grammar refuses (upper case, `%`, ...). */
  const unknownPath = () => {
    const levels = int(1, 20);
    return Array.from({ length: levels }, () =>
      pick(['a', 'unit', 'x-y', 'z_9', 'delete', 'constructor', '__proto__']),
    ).join('/');
  };
  const badPathLevel = () =>
    pick([
      'UNIT/UPDATE',
      'unit/Update',
      'unit//update',
      'unit/upd%61te',
      'unit/up date',
      'unit/ü',
      'unit/update/',
      '.',
    ]);

  // ---- generators, one per inbound topic family -------------------------------------------------------------

  type Draft = Omit<FuzzMessage, 'index'>;

  /** `<base>/plugins/<hw>/request/<op>` from the plugin itself or from a person's script. */
  const pluginRequest = (sender: Sender, hw: string): Draft => {
    const base = `${BASE}/plugins/${hw}`;
    const which = int(0, 19);
    if (which === 0) {
      const topic = `${base}/request/${badPathLevel()}`;
      return {
        sender,
        cls: 'plugin-request/unparseable-topic',
        topic,
        payload: json({ transaction: tx() }),
        retain: false,
        expect: { kind: 'event', type: 'request_rejected', topic },
      };
    }
    const op = which === 1 ? unknownPath() : pick(PLUGIN_OPS);
    const known = (PLUGIN_OPS as readonly string[]).includes(op);
    const topic = `${base}/request/${op}`;
    const responseTopic = `${base}/response/${op}`;
    if (which <= 5) {
      const bad = unreadableEnvelope();
      return {
        sender,
        cls: `plugin-request/${bad.cls}`,
        topic,
        payload: bad.payload,
        retain: false,
        expect: { kind: 'anonymous-response', topic: responseTopic },
      };
    }
    const transaction = tx();
    let body: Record<string, unknown>;
    let cls: string;
    if (!known) {
      body = { deviceId: DEVICE, unit: SWITCH_UNIT, changes: { nValue: 1 } };
      cls = 'plugin-request/unknown-op';
    } else if (hw !== HW && op !== 'hardware/announce') {
      // Well-formed, but for hardware that never announced itself.
      body =
        op === 'unit/create'
          ? { deviceId: DEVICE, unit: 1, name: 'ghost', typeName: 'Switch' }
          : { deviceId: DEVICE, unit: SWITCH_UNIT, changes: { nValue: 1 } };
      cls = 'plugin-request/unknown-hardware';
      if (op !== 'unit/create' && op !== 'unit/update') body = pluginBody(op);
    } else {
      body = pluginBody(op);
      cls = 'plugin-request/schema';
    }
    return {
      sender,
      cls,
      topic,
      payload: json({ ...body, transaction }),
      retain: chance(0.02),
      expect: { kind: 'response', topic: responseTopic, transaction },
    };
  };

  /** `<base>/bridge/request/<path>` from Home Assistant's account. */
  const bridgeRequest = (): Draft => {
    const which = int(0, 19);
    if (which === 0) {
      const topic = `${BASE}/bridge/request/${badPathLevel()}`;
      return {
        sender: 'homeassistant',
        cls: 'bridge-request/unparseable-topic',
        topic,
        payload: json({ transaction: tx() }),
        retain: false,
        expect: { kind: 'event', type: 'request_rejected', topic },
      };
    }
    const path = which === 1 ? unknownPath() : pick(BRIDGE_PATHS);
    const topic = `${BASE}/bridge/request/${path}`;
    const responseTopic = `${BASE}/bridge/response/${path}`;
    if (which <= 5) {
      const bad = unreadableEnvelope();
      return {
        sender: 'homeassistant',
        cls: `bridge-request/${bad.cls}`,
        topic,
        payload: bad.payload,
        retain: false,
        expect: { kind: 'anonymous-response', topic: responseTopic },
      };
    }
    const known = (BRIDGE_PATHS as readonly string[]).includes(path);
    const transaction = tx();
    const body = known ? bridgeBody(path) : { hardware: HW };
    return {
      sender: 'homeassistant',
      cls: known ? 'bridge-request/schema' : 'bridge-request/unknown-path',
      topic,
      payload: json({ ...body, transaction }),
      retain: chance(0.02),
      expect: { kind: 'response', topic: responseTopic, transaction },
    };
  };

  /** `<base>/devices/<hw>/<device>/<unit>/set` from Home Assistant's account. */
  const command = (): Draft => {
    const which = int(0, 11);
    const setTopic = (hw: string, device: string, unit: string) =>
      `${BASE}/devices/${hw}/${device}/${unit}/set`;
    const failed = (topic: string) => ({ kind: 'event' as const, type: 'command_failed' as const, topic });
    if (which === 0) {
      // A valid command, but with the retain flag: it would replay to every new subscriber.
      const topic = setTopic(HW, DEVICE, String(SWITCH_UNIT));
      return {
        sender: 'homeassistant',
        cls: 'command/retained',
        topic,
        payload: text(pick(['On', 'Off', 'Toggle', '{"command":"On"}'])),
        retain: true,
        expect: failed(topic),
      };
    }
    if (which === 1) {
      const topic = setTopic(HW, DEVICE, pick(['0', '256', '-1', '01', '1.5', 'abc', '', '999999', '1e2']));
      return {
        sender: 'homeassistant',
        cls: 'command/bad-unit-level',
        topic,
        payload: text('On'),
        retain: false,
        expect: failed(topic),
      };
    }
    if (which === 2) {
      const level = pick([
        '%2F%2B%23%25',
        '%',
        '%25%25',
        '%zz',
        '%2f',
        '%E9',
        '%C3',
        'café',
        'x'.repeat(40),
        '%00',
      ]);
      const topic = setTopic(HW, level, String(SWITCH_UNIT));
      return {
        sender: 'homeassistant',
        cls: 'command/strange-device-id',
        topic,
        payload: text('On'),
        retain: false,
        expect: failed(topic),
      };
    }
    if (which === 3) {
      const topic = setTopic(pick(['ghost', 'a.b', 'ü', 'x'.repeat(65)]), DEVICE, String(SWITCH_UNIT));
      return {
        sender: 'homeassistant',
        cls: 'command/unknown-hardware',
        topic,
        payload: text('On'),
        retain: false,
        expect: failed(topic),
      };
    }
    if (which === 4) {
      const topic = setTopic(HW, DEVICE, String(METER_UNIT));
      return {
        sender: 'homeassistant',
        cls: 'command/wrong-type',
        topic,
        payload: text(pick(['On', 'Off', 'Set Level 10'])),
        retain: false,
        expect: failed(topic),
      };
    }
    if (which === 5) {
      // A DeviceID with a real `/` has more levels than `devices/+/+/+/set`: Home Assistant's account may not
      // publish there at all, and for a person's script (allowed everywhere) no service subscribes to it.
      const topic = `${BASE}/devices/${HW}/${pick(['a/b', 'meter/1', '/', 'x//y'])}/${SWITCH_UNIT}/set`;
      const sender = pick(['homeassistant', 'people'] as const);
      return {
        sender,
        cls: 'command/slash-in-device-id',
        topic,
        payload: text('On'),
        retain: false,
        expect: sender === 'people' ? { kind: 'unrouted' } : { kind: 'refused' },
      };
    }
    const topic = setTopic(HW, DEVICE, String(SWITCH_UNIT));
    let payload: Buffer;
    let cls = 'command/not-a-command';
    const form = int(0, 9);
    if (form === 0)
      payload = text(pick(['Set Level 40', 'Open', 'Stop', 'Set Color {"m":3,"r":1,"g":2,"b":3}']));
    else if (form === 1)
      payload = json(
        pick<unknown>([
          { command: 5 },
          { command: '' },
          { command: 'On', extra: 1 },
          { command: 'On', level: 'x' },
          { command: 'On', color: { m: 0 } },
          [],
          null,
          'On',
        ]),
      );
    else if (form === 2) {
      payload = Buffer.concat([text('O'), Buffer.from(pick(NOT_UTF8))]);
      cls = 'command/invalid-utf8';
    } else if (form === 3) {
      payload = text(pick(['On\u0000', '\u0000', 'O\u0007n', 'Off\u001b[0m', 'On\u0085']));
      cls = 'command/control-characters';
    } else if (form === 4 && hugeLeft > 0) {
      hugeLeft--;
      payload = Buffer.alloc(MAX_PAYLOAD_BYTES + int(1, 4096), 'O');
      cls = 'command/huge';
    } else if (form === 5) payload = text(pick(['{', 'On {', 'Set Color {bad', '{"command":"On"']));
    else payload = text(`x${randomText(int(0, 80))}`);
    return { sender: 'homeassistant', cls, topic, payload, retain: chance(0.05), expect: failed(topic) };
  };

  /** `homeassistant/status`: anything but `online` / `offline`. */
  const haStatus = (): Draft => {
    const topic = `${DISCOVERY}/status`;
    const payload = pick([
      () =>
        text(
          pick([
            'ONLINE',
            'Online',
            'online\n',
            ' online',
            'offline ',
            '',
            'on',
            '{"status":"online"}',
            'true',
          ]),
        ),
      () => notUtf8('online'),
      () => text(`online${randomText(int(1, 30))}`),
      () => randomBytes(int(1, 40)),
    ])();
    return {
      sender: 'homeassistant',
      cls: 'homeassistant-status/invalid',
      topic,
      payload,
      retain: false,
      expect: { kind: 'log', process: 'registry', msg: 'rejected invalid message', topic },
    };
  };

  /** A plugin's own state and lifecycle topics, with payloads the registry cannot read. */
  const pluginPresence = (): Draft => {
    if (chance(0.5)) {
      const topic = `${BASE}/plugins/${HW}/state`;
      return {
        sender: 'plugin',
        cls: 'plugin-state/invalid',
        topic,
        payload: text(pick(['ONLINE', 'up', '', 'online!', '{"state":"online"}', '\u0000', 'offline\n'])),
        retain: false,
        expect: { kind: 'log', process: 'registry', msg: 'rejected invalid message', topic },
      };
    }
    const topic = `${BASE}/plugins/${HW}/lifecycle`;
    const payload = pick([
      () => text(pick(NOT_JSON)),
      () => json({ type: 'plugin_exploded', data: {} }),
      () => json({ type: 'plugin_started', data: 'x' }),
      () => json({ type: 5 }),
      () => text(pick(NOT_OBJECT)),
      () => notUtf8('{"type":"plugin_started","data":{"x":"'),
    ])();
    return {
      sender: 'plugin',
      cls: 'plugin-lifecycle/invalid',
      topic,
      payload,
      retain: false,
      expect: { kind: 'log', process: 'registry', msg: 'rejected invalid message', topic },
    };
  };

  /** What the plugin runner reads: commands, events, responses, readings, energy and settings. */
  const runnerInput = (): Draft => {
    const which = int(0, 5);
    const retain = false;
    if (which === 0) {
      const topic = `${BASE}/plugins/${HW}/command`;
      const payload = pick([
        () => text(pick(NOT_JSON)),
        () => json({ deviceId: DEVICE, unit: badUnit(), command: 'On', level: 0, color: null }),
        () => json({ deviceId: tooLongId(), unit: SWITCH_UNIT, command: 'On', level: 0, color: null }),
        () => json({ deviceId: DEVICE, unit: SWITCH_UNIT, command: 5, level: 0, color: null }),
        () => json({ deviceId: DEVICE, unit: SWITCH_UNIT, command: 'On', level: 'max', color: null }),
        () => json({ deviceId: DEVICE, unit: SWITCH_UNIT, command: 'On' }),
        () => notUtf8('{"deviceId":"'),
        () => (hugeLeft-- > 0 ? huge() : text('[]')),
      ])();
      return {
        sender: 'people',
        cls: 'runner-command/invalid',
        topic,
        payload,
        retain,
        expect: { kind: 'log', process: 'plugin', msg: 'rejected an invalid command', topic },
      };
    }
    if (which === 1) {
      const topic = `${BASE}/plugins/${HW}/event`;
      const payload = pick([
        () => text(pick(NOT_JSON)),
        () => json({ type: 'device_removed', deviceId: DEVICE, unit: SWITCH_UNIT }),
        () => json({ type: 'self_destruct' }),
        () => json({ type: 'notification', name: 'x' }),
        () => json({ type: 'security', level: 'high', description: 'x' }),
        () => text(pick(NOT_OBJECT)),
      ])();
      return {
        sender: 'people',
        cls: 'runner-event/invalid',
        topic,
        payload,
        retain,
        expect: { kind: 'log', process: 'plugin', msg: 'rejected an invalid plugin event', topic },
      };
    }
    if (which === 2) {
      const topic = `${BASE}/plugins/${HW}/response/${pick(PLUGIN_OPS)}`;
      const payload = pick([
        () => text(pick(NOT_JSON)),
        () => json({ status: 'maybe', transaction: 'x' }),
        () => json({ status: 'ok', transaction: {} }),
        () => text(pick(NOT_OBJECT)),
      ])();
      return {
        sender: 'people',
        cls: 'runner-response/invalid',
        topic,
        payload,
        retain,
        expect: { kind: 'log', process: 'plugin', msg: 'rejected invalid message', topic },
      };
    }
    const topic = `${BASE}/${pick(['readings', 'energy', 'bridge/settings'])}`;
    const payload = pick([
      () => text(pick(NOT_JSON)),
      () => text(pick(NOT_OBJECT)),
      () => json({ cts: { 1: { power: 'lots' } }, timestamp: 'now' }),
      () => json({ cts: { 7: { power: 1 } } }),
      () => json({ home: { import_wh: -1 } }),
      () => json({ Title: 5 }),
      () => notUtf8('{"cts":{"1":{"power":"'),
      () => text(deep(int(10, 50_000))),
    ])();
    return {
      sender: 'people',
      cls: `runner-feed/${topic.slice(BASE.length + 1)}`,
      topic,
      payload,
      // Readings and energy are the sampler's: garbage retained there is overwritten by its next publication.
      retain: topic !== `${BASE}/bridge/settings` && chance(0.03),
      expect: { kind: 'log', process: 'plugin', msg: 'rejected invalid message', topic },
    };
  };

  /** Another plugin's account (`plugin_power_devices`) trying to act as the example plugin, or as anything else. */
  const intrusion = (): Draft => {
    const topic = pick([
      `${BASE}/plugins/${HW}/request/unit/update`,
      `${BASE}/plugins/${HW}/request/hardware/announce`,
      `${BASE}/plugins/${HW}/state`,
      `${BASE}/plugins/${HW}/lifecycle`,
      `${BASE}/plugins/${HW}/command`,
      `${BASE}/plugins/${HW}/response/unit/update`,
      `${BASE}/devices/${HW}/${DEVICE}/${SWITCH_UNIT}`,
      `${BASE}/devices/${HW}/${DEVICE}/${SWITCH_UNIT}/set`,
      `${BASE}/bridge/request/unit/rename`,
      `${BASE}/bridge/settings`,
      `${BASE}/readings`,
      `${BASE}/registry/state`,
      `${DISCOVERY}/status`,
      `${DISCOVERY}/switch/${BASE}_${HW}/${DEVICE}_${SWITCH_UNIT}/config`,
      '$SYS/broker/uptime',
    ]);
    // Well-formed payloads: what matters is that the account may not publish there at all.
    const payload = pick([
      () =>
        json({
          deviceId: DEVICE,
          unit: SWITCH_UNIT,
          changes: { nValue: 1, sValue: 'On' },
          transaction: tx(),
        }),
      () => json({ deviceId: DEVICE, unit: SWITCH_UNIT, command: 'On', level: 0, color: null }),
      () => text('On'),
      () => text('offline'),
      () => json({ type: 'plugin_failed', data: { reason: 'forged' } }),
    ])();
    return {
      sender: 'intruder',
      cls: 'intrusion/not-authorized',
      topic,
      payload,
      retain: chance(0.2),
      expect: { kind: 'refused' },
    };
  };

  const generators: [number, () => Draft][] = [
    [24, () => pluginRequest('plugin', HW)],
    [6, () => pluginRequest('people', pick([HW, 'ghost', 'Ghost-2', 'x_y']))],
    [20, bridgeRequest],
    [20, command],
    [3, haStatus],
    [5, pluginPresence],
    [15, runnerInput],
    [3, intrusion],
  ];
  const total = generators.reduce((sum, [weight]) => sum + weight, 0);
  for (index = 0; index < count; index++) {
    let roll = random() * total;
    let generate = generators[0]![1];
    for (const [weight, generator] of generators) {
      roll -= weight;
      if (roll < 0) {
        generate = generator;
        break;
      }
    }
    messages.push({ index, ...generate() });
  }
  return messages;
}

/** How many messages of each class a corpus holds, for the log and for coverage checks. */
export function classCounts(messages: FuzzMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) counts.set(message.cls, (counts.get(message.cls) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}
