import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from './payload.js';
import { filterFor, filterMatches, parseTopic, topicFor, topics } from './topics.js';

const roots = { base: 'wattbus', discovery: 'homeassistant' };

describe('topic map', () => {
  it('builds and parses unit topics with encoded DeviceIDs', () => {
    const topic = topicFor(topics.unitState, roots, { hw: 'power_devices', device: 'a/b', unit: 7 });
    expect(topic).toBe('wattbus/devices/power_devices/a%2Fb/7');
    expect(parseTopic(topics.unitState, roots, topic)).toEqual({
      hw: 'power_devices',
      device: 'a/b',
      unit: 7,
    });
  });

  it('refuses unit numbers outside 1..255 and invalid encodings when parsing', () => {
    for (const unit of ['0', '256', '-1', '01', '1.5', 'x']) {
      expect(parseTopic(topics.unitSet, roots, `wattbus/devices/hw/dev/${unit}/set`)).toBeUndefined();
    }
    expect(parseTopic(topics.unitSet, roots, 'wattbus/devices/hw/a%2fb/1/set')).toBeUndefined();
    expect(parseTopic(topics.unitSet, roots, 'wattbus/devices/hw/dev/1/set/extra')).toBeUndefined();
    expect(parseTopic(topics.unitSet, roots, 'other/devices/hw/dev/1/set')).toBeUndefined();
  });

  it('throws when a publisher passes an invalid parameter', () => {
    expect(() => topicFor(topics.unitState, roots, { hw: 'a/b', device: 'x', unit: 1 })).toThrow(/A-Za-z0-9/);
    expect(() => topicFor(topics.unitState, roots, { hw: 'a', device: 'x', unit: 256 })).toThrow(/1 to 255/);
  });

  it('turns missing parameters into wildcards and a trailing multi-level parameter into #', () => {
    expect(filterFor(topics.unitSet, roots)).toBe('wattbus/devices/+/+/+/set');
    expect(filterFor(topics.pluginRequest, roots, { hw: 'x' })).toBe('wattbus/plugins/x/request/#');
    expect(filterFor(topics.discoveryConfig, { ...roots, discovery: 'ha' })).toBe('ha/+/+/+/config');
  });

  it('parses multi-level request paths', () => {
    expect(parseTopic(topics.bridgeRequest, roots, 'wattbus/bridge/request/unit/rename')).toEqual({
      path: 'unit/rename',
    });
    expect(parseTopic(topics.bridgeRequest, roots, 'wattbus/bridge/request/')).toBeUndefined();
    expect(parseTopic(topics.bridgeRequest, roots, 'wattbus/bridge/request/Bad Path')).toBeUndefined();
  });

  it('matches MQTT filters like a broker', () => {
    expect(filterMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(filterMatches('a/#', 'a')).toBe(true);
    expect(filterMatches('a/#', 'a/b/c')).toBe(true);
    expect(filterMatches('a/+', 'a/b/c')).toBe(false);
    expect(filterMatches('#', '$SYS/x')).toBe(false);
    expect(filterMatches('$SYS/#', '$SYS/x')).toBe(true);
  });

  it('matches filters exactly as the level-by-level definition does, empty levels included', () => {
    const reference = (filter: string, topic: string): boolean => {
      const filterLevels = filter.split('/');
      const topicLevels = topic.split('/');
      if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
      for (let i = 0; i < filterLevels.length; i++) {
        const level = filterLevels[i];
        if (level === '#') return true;
        if (i >= topicLevels.length) return false;
        if (level !== '+' && level !== topicLevels[i]) return false;
      }
      return filterLevels.length === topicLevels.length;
    };
    const levels = ['a', 'ab', '', '$SYS', '+', '#', '+a'];
    const joined = (parts: string[]) => parts.join('/');
    const combinations: string[] = [];
    for (const first of levels) {
      combinations.push(first);
      for (const second of levels) {
        combinations.push(joined([first, second]));
        for (const third of levels) combinations.push(joined([first, second, third]));
      }
    }
    const mismatches: string[] = [];
    let checked = 0;
    for (const filter of combinations) {
      for (const topic of combinations) {
        if (topic.includes('+') || topic.includes('#')) continue;
        if (filterMatches(filter, topic) !== reference(filter, topic))
          mismatches.push(`${filter} ~ ${topic}`);
        checked++;
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(10_000);
  });

  it('uses every topic pattern only once', () => {
    const patterns = Object.values(topics).map((definition) => `${definition.root}:${definition.pattern}`);
    expect(new Set(patterns).size).toBe(patterns.length);
  });
});

describe('payload decoding', () => {
  it('accepts plain and JSON commands', () => {
    expect(decodePayload(topics.unitSet, 'On')).toEqual({ ok: true, value: { command: 'On' } });
    expect(decodePayload(topics.unitSet, 'Set Level 40')).toEqual({
      ok: true,
      value: { command: 'Set Level', level: 40 },
    });
    expect(decodePayload(topics.unitSet, 'Set Color {"m":3,"r":255,"g":0,"b":0}')).toEqual({
      ok: true,
      value: { command: 'Set Color', color: { m: 3, r: 255, g: 0, b: 0 } },
    });
    expect(decodePayload(topics.unitSet, '{"command":"Set Level","level":12.5}')).toEqual({
      ok: true,
      value: { command: 'Set Level', level: 12.5 },
    });
  });

  it('explains what is wrong with a bad payload', () => {
    expect(decodePayload(topics.unitSet, '{"command": 5}')).toEqual({
      ok: false,
      error: expect.stringMatching(/^command: /),
    });
    expect(decodePayload(topics.unitSet, '{"command":')).toEqual({
      ok: false,
      error: expect.stringMatching(/not valid JSON/),
    });
    expect(decodePayload(topics.unitSet, Buffer.from([0xff, 0xfe]))).toEqual({
      ok: false,
      error: 'payload is not valid UTF-8',
    });
    expect(decodePayload(topics.unitSet, '')).toEqual({ ok: false, error: expect.stringMatching(/command/) });
    expect(decodePayload(topics.samplerState, 'maybe')).toEqual({
      ok: false,
      error: expect.stringMatching(/online/),
    });
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    expect(decodePayload(topics.readings, huge)).toEqual({
      ok: false,
      error: expect.stringMatching(/limit/),
    });
  });

  it('refuses to encode a payload that breaks its schema', () => {
    expect(() => encodePayload(topics.samplerState, 'sleeping' as never)).toThrow(/sampler\/state/);
    expect(encodePayload(topics.samplerState, 'online')).toBe('online');
  });
});
