import { createHash } from 'node:crypto';
import { decodePayload, parseTopic, type TopicDefinition, topics } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { BASE, buildCorpus, classCounts, DISCOVERY, type FuzzMessage } from './fuzz-corpus.js';

/**
 * The corpus itself, checked against the contract without any process: it is reproducible, covers every kind of
 * bad input issue 8 names, and each message's expected refusal is the one the contract implies (so the fuzz run
 * tests the services, not a mistaken expectation).
 */
const roots = { base: BASE, discovery: DISCOVERY };
const corpus = buildCorpus({ seed: 20_261_121, count: 10_400 });

function fingerprint(messages: FuzzMessage[]): string {
  const hash = createHash('sha256');
  for (const message of messages) {
    hash.update(`${message.sender}\n${message.topic}\n${message.retain}\n`);
    hash.update(message.payload);
  }
  return hash.digest('hex');
}

function definitionOf(topic: string): TopicDefinition | undefined {
  return Object.values(topics).find((definition) => parseTopic(definition, roots, topic) !== undefined);
}

describe('the fuzz corpus', () => {
  it('is the same for the same seed and different for another', () => {
    expect(fingerprint(buildCorpus({ seed: 20_261_121, count: 10_400 }))).toBe(fingerprint(corpus));
    expect(fingerprint(buildCorpus({ seed: 7, count: 10_400 }))).not.toBe(fingerprint(corpus));
  });

  it('holds every kind of bad input of issue 8', () => {
    const counts = classCounts(corpus);
    const some = (pattern: RegExp) => corpus.filter((message) => pattern.test(message.cls)).length;
    expect(corpus.length).toBeGreaterThanOrEqual(10_000);
    expect(some(/invalid-json/)).toBeGreaterThan(100);
    expect(some(/\/schema$/)).toBeGreaterThan(1000);
    expect(some(/huge/)).toBeGreaterThan(5);
    expect(some(/invalid-utf8/)).toBeGreaterThan(100);
    expect(some(/control-characters/)).toBeGreaterThan(50);
    expect(some(/deep-json/)).toBeGreaterThan(20);
    expect(some(/strange-device-id|slash-in-device-id/)).toBeGreaterThan(100);
    expect(some(/bad-unit-level/)).toBeGreaterThan(100);
    expect(counts.get('command/retained')).toBeGreaterThan(100);
    expect(some(/intrusion/)).toBeGreaterThan(100);
    const deepest = Math.max(...corpus.map((message) => message.topic.split('/').length));
    expect(deepest).toBeGreaterThanOrEqual(20);
    const bodies = corpus.map((message) => message.payload.toString('utf8')).join('\n');
    for (const unit of ['"unit":0', '"unit":256', '"unit":-1']) expect(bodies).toContain(unit);
    for (const level of ['/0/set', '/256/set', '/-1/set']) {
      expect(corpus.some((message) => message.topic.endsWith(level))).toBe(true);
    }
    for (const character of ['/', '+', '#', '%']) {
      expect(bodies).toContain(`"deviceId":"${character}"`);
    }
    expect(new Set(corpus.map((message) => message.sender))).toEqual(
      new Set(['plugin', 'intruder', 'homeassistant', 'people']),
    );
  });

  it('expects from each message the refusal the contract implies', () => {
    for (const message of corpus) {
      const { expect: expected, topic, payload } = message;
      const definition = definitionOf(topic);
      const where = `#${message.index} ${message.cls} ${topic} ${JSON.stringify(payload.subarray(0, 60).toString())}`;
      switch (expected.kind) {
        case 'response': {
          // The envelope is readable, so the answer can carry the transaction.
          expect(definition, where).toBeDefined();
          const decoded = decodePayload(definition!, payload);
          expect(decoded, where).toMatchObject({ ok: true, value: { transaction: expected.transaction } });
          break;
        }
        case 'anonymous-response':
          expect(definition, where).toBeDefined();
          expect(decodePayload(definition!, payload).ok, where).toBe(false);
          break;
        case 'event':
          if (expected.type === 'request_rejected') expect(definition, where).toBeUndefined();
          else expect(topic, where).toMatch(/\/set$/);
          break;
        case 'log':
          expect(definition, where).toBeDefined();
          expect(decodePayload(definition!, payload).ok, where).toBe(false);
          break;
        case 'refused':
          // Another plugin's account, or Home Assistant's outside `devices/+/+/+/set`.
          if (message.sender !== 'intruder') expect(topic.split('/').length, where).toBeGreaterThan(6);
          break;
        case 'unrouted':
          expect(definition, where).toBeUndefined();
          break;
      }
    }
  });
});
