import type { z } from 'zod';
import { BridgeDevices, BridgeEvent, BridgeSettings } from './bridge.js';
import { decodeDeviceId, encodeDeviceId } from './device-id.js';
import { DiscoveryConfig, HomeAssistantStatus } from './homeassistant.js';
import {
  PluginCommand,
  PluginEvent,
  PluginLifecycle,
  RequestEnvelope,
  ResponseEnvelope,
} from './plugin-protocol.js';
import { ServiceState } from './primitives.js';
import { CtReading, Energy, Reading } from './readings.js';
import { readCommandText, UnitCommand, UnitState } from './units.js';

/**
 * The single map from topic pattern to payload schema. Every service builds, parses and validates topics through
 * it, so no topic string is written by hand anywhere else. docs/mqtt-api.md documents each entry.
 */

/** Which configurable prefix a pattern hangs under: the base topic (`wattbus`) or Home Assistant's prefix. */
export type TopicRoot = 'base' | 'discovery';
export interface TopicRoots {
  base: string;
  discovery: string;
}

export interface TopicDefinition<Pattern extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly pattern: Pattern;
  readonly root: TopicRoot;
  readonly schema: Schema;
  /** `json` payloads are JSON documents; `text` payloads are plain strings, optionally read by `read`. */
  readonly codec: 'json' | 'text';
  readonly read?: (text: string) => unknown;
  readonly retain: boolean;
  readonly qos: 0 | 1;
}

function define<const Pattern extends string, Schema extends z.ZodType>(
  definition: TopicDefinition<Pattern, Schema>,
): TopicDefinition<Pattern, Schema> {
  return definition;
}

export const topics = {
  samplerState: define({
    pattern: 'sampler/state',
    root: 'base',
    schema: ServiceState,
    codec: 'text',
    retain: true,
    qos: 1,
  }),
  registryState: define({
    pattern: 'registry/state',
    root: 'base',
    schema: ServiceState,
    codec: 'text',
    retain: true,
    qos: 1,
  }),
  pluginState: define({
    pattern: 'plugins/{hw}/state',
    root: 'base',
    schema: ServiceState,
    codec: 'text',
    retain: true,
    qos: 1,
  }),

  readings: define({
    pattern: 'readings',
    root: 'base',
    schema: Reading,
    codec: 'json',
    retain: true,
    qos: 0,
  }),
  ctReading: define({
    pattern: 'readings/ct/{n}',
    root: 'base',
    schema: CtReading,
    codec: 'json',
    retain: true,
    qos: 0,
  }),
  energy: define({ pattern: 'energy', root: 'base', schema: Energy, codec: 'json', retain: true, qos: 1 }),

  unitState: define({
    pattern: 'devices/{hw}/{device}/{unit}',
    root: 'base',
    schema: UnitState,
    codec: 'json',
    retain: true,
    qos: 1,
  }),
  unitSet: define({
    pattern: 'devices/{hw}/{device}/{unit}/set',
    root: 'base',
    schema: UnitCommand,
    codec: 'text',
    read: readCommandText,
    retain: false,
    qos: 1,
  }),

  bridgeDevices: define({
    pattern: 'bridge/devices',
    root: 'base',
    schema: BridgeDevices,
    codec: 'json',
    retain: true,
    qos: 1,
  }),
  bridgeSettings: define({
    pattern: 'bridge/settings',
    root: 'base',
    schema: BridgeSettings,
    codec: 'json',
    retain: true,
    qos: 1,
  }),
  bridgeRequest: define({
    pattern: 'bridge/request/{path}',
    root: 'base',
    schema: RequestEnvelope,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  bridgeResponse: define({
    pattern: 'bridge/response/{path}',
    root: 'base',
    schema: ResponseEnvelope,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  bridgeEvent: define({
    pattern: 'bridge/event',
    root: 'base',
    schema: BridgeEvent,
    codec: 'json',
    retain: false,
    qos: 1,
  }),

  pluginRequest: define({
    pattern: 'plugins/{hw}/request/{op}',
    root: 'base',
    schema: RequestEnvelope,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  pluginResponse: define({
    pattern: 'plugins/{hw}/response/{op}',
    root: 'base',
    schema: ResponseEnvelope,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  pluginCommand: define({
    pattern: 'plugins/{hw}/command',
    root: 'base',
    schema: PluginCommand,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  pluginEvent: define({
    pattern: 'plugins/{hw}/event',
    root: 'base',
    schema: PluginEvent,
    codec: 'json',
    retain: false,
    qos: 1,
  }),
  pluginLifecycle: define({
    pattern: 'plugins/{hw}/lifecycle',
    root: 'base',
    schema: PluginLifecycle,
    codec: 'json',
    retain: false,
    qos: 1,
  }),

  discoveryConfig: define({
    pattern: '{component}/{node}/{object}/config',
    root: 'discovery',
    schema: DiscoveryConfig,
    codec: 'json',
    retain: true,
    qos: 1,
  }),
  homeAssistantStatus: define({
    pattern: 'status',
    root: 'discovery',
    schema: HomeAssistantStatus,
    codec: 'text',
    retain: false,
    qos: 1,
  }),
} as const;

export type Topics = typeof topics;
export type TopicName = keyof Topics;
export type PayloadOf<T extends TopicDefinition> = z.infer<T['schema']>;

// ---- parameters ------------------------------------------------------------------------------------------------

type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;
type ParamValue<Name extends string> = Name extends 'unit' | 'n' ? number : string;
export type TopicParams<T extends TopicDefinition> = { [K in ParamNames<T['pattern']>]: ParamValue<K> };

/** `path` and `op` span several levels (`device/rename`); every other parameter is exactly one level. */
const MULTI_LEVEL = new Set(['path', 'op']);
const SIMPLE_LEVEL = /^[A-Za-z0-9_-]+$/;
const REQUEST_PATH = /^[a-z0-9_-]+(?:\/[a-z0-9_-]+)*$/;

interface ParamCodec {
  encode(value: unknown): string;
  decode(level: string): string | number | undefined;
}

function integerLevel(min: number, max: number): ParamCodec {
  return {
    encode: (value) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new TypeError(`topic parameter must be an integer from ${min} to ${max}, got ${String(value)}`);
      }
      return String(value);
    },
    decode: (level) => {
      if (!/^[1-9]\d{0,2}$/.test(level)) return undefined;
      const value = Number(level);
      return value >= min && value <= max ? value : undefined;
    },
  };
}

const simpleLevel: ParamCodec = {
  encode: (value) => {
    if (typeof value !== 'string' || !SIMPLE_LEVEL.test(value)) {
      throw new TypeError(`topic parameter must match [A-Za-z0-9_-]+, got ${JSON.stringify(value)}`);
    }
    return value;
  },
  decode: (level) => (SIMPLE_LEVEL.test(level) ? level : undefined),
};

const requestPath: ParamCodec = {
  encode: (value) => {
    if (typeof value !== 'string' || !REQUEST_PATH.test(value)) {
      throw new TypeError(
        `request path must be lower-case words separated by "/", got ${JSON.stringify(value)}`,
      );
    }
    return value;
  },
  decode: (level) => (REQUEST_PATH.test(level) ? level : undefined),
};

const paramCodecs: Record<string, ParamCodec> = {
  hw: simpleLevel,
  component: simpleLevel,
  node: simpleLevel,
  object: simpleLevel,
  unit: integerLevel(1, 255),
  n: integerLevel(1, 6),
  path: requestPath,
  op: requestPath,
  device: {
    encode: (value) => {
      if (typeof value !== 'string') throw new TypeError('DeviceID must be a string');
      return encodeDeviceId(value);
    },
    decode: decodeDeviceId,
  },
};

type Segment = { literal: string } | { param: string };

const segmentCache = new Map<string, Segment[]>();
function segmentsOf(pattern: string): Segment[] {
  let segments = segmentCache.get(pattern);
  if (!segments) {
    segments = pattern.split('/').map((level) => {
      const match = /^\{(\w+)\}$/.exec(level);
      return match ? { param: match[1]! } : { literal: level };
    });
    segmentCache.set(pattern, segments);
  }
  return segments;
}

function rootOf(definition: TopicDefinition, roots: TopicRoots): string {
  return definition.root === 'base' ? roots.base : roots.discovery;
}

/** The concrete topic for a definition and its parameters. Throws on an invalid parameter (a programming error). */
export function topicFor<T extends TopicDefinition>(
  definition: T,
  roots: TopicRoots,
  params: TopicParams<T>,
): string {
  const values = params as Record<string, unknown>;
  const levels = segmentsOf(definition.pattern).map((segment) =>
    'literal' in segment ? segment.literal : paramCodecs[segment.param]!.encode(values[segment.param]),
  );
  return `${rootOf(definition, roots)}/${levels.join('/')}`;
}

/**
 * A subscription filter for a definition: given parameters are filled in, the others become `+`, and a multi-level
 * parameter at the end becomes `#`.
 */
export function filterFor<T extends TopicDefinition>(
  definition: T,
  roots: TopicRoots,
  params: Partial<TopicParams<T>> = {},
): string {
  const values = params as Record<string, unknown>;
  const levels = segmentsOf(definition.pattern).map((segment) => {
    if ('literal' in segment) return segment.literal;
    const value = values[segment.param];
    if (value !== undefined) return paramCodecs[segment.param]!.encode(value);
    return MULTI_LEVEL.has(segment.param) ? '#' : '+';
  });
  return `${rootOf(definition, roots)}/${levels.join('/')}`;
}

/** The parameters of a concrete topic, or `undefined` when it does not match the definition. */
export function parseTopic<T extends TopicDefinition>(
  definition: T,
  roots: TopicRoots,
  topic: string,
): TopicParams<T> | undefined {
  const root = `${rootOf(definition, roots)}/`;
  if (!topic.startsWith(root)) return undefined;
  const levels = topic.slice(root.length).split('/');
  const segments = segmentsOf(definition.pattern);
  const params: Record<string, string | number> = {};
  let index = 0;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    if ('literal' in segment) {
      if (levels[index] !== segment.literal) return undefined;
      index++;
      continue;
    }
    let level: string | undefined;
    if (MULTI_LEVEL.has(segment.param)) {
      const remainingLiterals = segments.length - s - 1;
      const end = levels.length - remainingLiterals;
      if (end <= index) return undefined;
      level = levels.slice(index, end).join('/');
      index = end;
    } else {
      level = levels[index++];
    }
    if (level === undefined) return undefined;
    const value = paramCodecs[segment.param]!.decode(level);
    if (value === undefined) return undefined;
    params[segment.param] = value;
  }
  return index === levels.length ? (params as TopicParams<T>) : undefined;
}

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;

/**
 * True when an MQTT topic filter (with `+` and `#`) matches a topic. Every inbound message is checked against
 * every subscription of a service, so this walks both strings level by level without allocating.
 */
export function filterMatches(filter: string, topic: string): boolean {
  const filterEnd = filter.length;
  const topicEnd = topic.length;
  // A filter starting with a wildcard must not match `$` topics (MQTT 3.1.1 section 4.7.2).
  if (
    topic.charCodeAt(0) === 0x24 &&
    (filter.charCodeAt(0) === PLUS || filter.charCodeAt(0) === HASH) &&
    (filterEnd === 1 || filter.charCodeAt(1) === SLASH)
  ) {
    return false;
  }
  // `f` and `t` are where the current level starts; `t > topicEnd` once the topic has no levels left.
  let f = 0;
  let t = 0;
  for (;;) {
    let levelEnd = filter.indexOf('/', f);
    if (levelEnd < 0) levelEnd = filterEnd;
    const length = levelEnd - f;
    if (length === 1 && filter.charCodeAt(f) === HASH) return true;
    if (t > topicEnd) return false;
    let topicLevelEnd = topic.indexOf('/', t);
    if (topicLevelEnd < 0) topicLevelEnd = topicEnd;
    if (!(length === 1 && filter.charCodeAt(f) === PLUS)) {
      if (topicLevelEnd - t !== length) return false;
      for (let i = 0; i < length; i++) {
        if (filter.charCodeAt(f + i) !== topic.charCodeAt(t + i)) return false;
      }
    }
    f = levelEnd + 1;
    t = topicLevelEnd + 1;
    if (f > filterEnd) return t > topicEnd;
  }
}
