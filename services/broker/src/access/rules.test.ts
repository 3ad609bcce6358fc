import { describe, expect, it } from 'vitest';
import { AccessRules, FULL_ACCESS } from './rules.js';

describe('AccessRules', () => {
  const rules = new AccessRules(
    [
      { access: 'read', filter: 'wattbus/#' },
      { access: 'write', filter: 'wattbus/devices/+/+/+/set' },
      { access: 'readwrite', filter: 'dashboards/alice/#' },
      { access: 'deny', filter: 'wattbus/bridge/#' },
    ],
    'test',
  );

  it('allows publishing only where a write rule matches', () => {
    expect(rules.canPublish('wattbus/devices/example/dev/1/set')).toBe(true);
    expect(rules.canPublish('dashboards/alice/layout')).toBe(true);
    expect(rules.canPublish('wattbus/readings')).toBe(false);
    expect(rules.canPublish('dashboards/bob/layout')).toBe(false);
  });

  it('refuses what a deny rule matches, even under a grant', () => {
    expect(rules.canSubscribe('wattbus/bridge/#')).toBe(false);
    expect(rules.canSubscribe('wattbus/bridge/devices')).toBe(false);
    // The subscription is allowed; the deny rule filters the messages on delivery.
    expect(rules.canSubscribe('wattbus/#')).toBe(true);
    expect(rules.hasDenyRules).toBe(true);
    expect(rules.canReceive('wattbus/bridge/devices')).toBe(false);
    expect(rules.canReceive('wattbus/readings')).toBe(true);
  });

  it('checks subscriptions by coverage, not overlap', () => {
    expect(rules.canSubscribe('wattbus/readings/#')).toBe(true);
    expect(rules.canSubscribe('#')).toBe(false);
    expect(rules.canSubscribe('+/readings')).toBe(false);
  });

  it('refuses invalid subscription filters', () => {
    expect(rules.canSubscribe('wattbus/#/x')).toBe(false);
  });

  it('never lets anyone publish to $ topics, even with full access', () => {
    const full = new AccessRules(FULL_ACCESS, 'full');
    expect(full.canPublish('$SYS/broker/x')).toBe(false);
    expect(full.canPublish('$anything')).toBe(false);
    expect(full.canPublish('wattbus/readings')).toBe(true);
    expect(full.canSubscribe('$SYS/#')).toBe(true);
    expect(full.canSubscribe('#')).toBe(true);
    expect(full.hasDenyRules).toBe(false);
  });

  it('rejects an invalid rule when compiled', () => {
    expect(() => new AccessRules([{ access: 'read', filter: 'a/#/b' }], 'bad')).toThrow(/whole level/);
  });
});
