import { describe, expect, it } from 'vitest';
import { decodePayload, jsonNestedDeeperThan, MAX_JSON_DEPTH } from './payload.js';
import { topics } from './topics.js';

describe('jsonNestedDeeperThan', () => {
  it('counts arrays and objects, and ignores brackets inside strings', () => {
    expect(jsonNestedDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonNestedDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(jsonNestedDeeperThan('{"a":"[[[[[[","b":"\\"[[[["}', 1)).toBe(false);
    expect(jsonNestedDeeperThan('[[],[],[],[]]', 2)).toBe(false);
  });
});

describe('decodePayload', () => {
  it('refuses JSON nested too deeply with a clear reason instead of overflowing the stack in zod', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const decoded = decodePayload(topics.pluginRequest, `{"configuration":{"a":${deep}}}`);
    expect(decoded).toEqual({
      ok: false,
      error: `payload is nested more than ${MAX_JSON_DEPTH} levels deep`,
    });
  });

  it('still reads ordinary nesting', () => {
    const decoded = decodePayload(
      topics.pluginRequest,
      '{"transaction":1,"configuration":{"a":{"b":[[1,{"c":2}]]}}}',
    );
    expect(decoded.ok).toBe(true);
  });
});

describe('request envelopes', () => {
  it('take an optional transaction, as docs/mqtt-api.md promises, and refuse a malformed one', () => {
    expect(decodePayload(topics.bridgeRequest, '{"hardware":"example"}').ok).toBe(true);
    expect(decodePayload(topics.bridgeRequest, '{"transaction":"a1","hardware":"example"}').ok).toBe(true);
    expect(decodePayload(topics.pluginRequest, '{"transaction":{}}')).toMatchObject({ ok: false });
    expect(decodePayload(topics.pluginRequest, '[]')).toMatchObject({ ok: false });
  });
});
