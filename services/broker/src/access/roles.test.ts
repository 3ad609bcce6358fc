import { describe, expect, it } from 'vitest';
import { roleOf, roleRules } from './roles.js';
import { AccessRules } from './rules.js';

const roots = { base: 'wattbus', discovery: 'homeassistant' };
const rulesOf = (username: string, pluginIds: string[] = ['example', 'power-devices']) => {
  const role = roleOf(username, pluginIds);
  if (!role) throw new Error(`${username} has no role`);
  return new AccessRules(roleRules(role, roots), username);
};

describe('roleOf', () => {
  it('names the built-in roles', () => {
    expect(roleOf('sampler', [])).toEqual({ kind: 'sampler' });
    expect(roleOf('registry', [])).toEqual({ kind: 'registry' });
    expect(roleOf('homeassistant', [])).toEqual({ kind: 'homeassistant' });
    expect(roleOf('plugin_example', ['example'])).toEqual({ kind: 'plugin', id: 'example' });
    expect(roleOf('alice', [])).toBeUndefined();
    expect(roleOf('plugin_', [])).toBeUndefined();
  });

  it('matches a plugin account to its configured id ignoring case and "-" versus "_"', () => {
    expect(roleOf('plugin_power_devices', ['power-devices'])).toEqual({
      kind: 'plugin',
      id: 'power-devices',
    });
    expect(roleOf('plugin_heatpump', ['HeatPump'])).toEqual({ kind: 'plugin', id: 'HeatPump' });
    expect(roleOf('plugin_unknown', ['example'])).toEqual({ kind: 'plugin', id: 'unknown' });
    // Two ids that both fit: take the name literally rather than guess.
    expect(roleOf('plugin_a_b', ['a-b', 'A_B'])).toEqual({ kind: 'plugin', id: 'a_b' });
  });
});

describe('role rules', () => {
  it('sampler publishes readings, energy, its state and events, and reads back energy', () => {
    const sampler = rulesOf('sampler');
    for (const topic of [
      'wattbus/readings',
      'wattbus/readings/ct/1',
      'wattbus/energy',
      'wattbus/sampler/state',
      'wattbus/bridge/event',
    ]) {
      expect(sampler.canPublish(topic), topic).toBe(true);
    }
    expect(sampler.canPublish('wattbus/devices/example/dev/1')).toBe(false);
    expect(sampler.canPublish('wattbus/registry/state')).toBe(false);
    expect(sampler.canSubscribe('wattbus/energy')).toBe(true);
    expect(sampler.canSubscribe('wattbus/sampler/#')).toBe(true);
    expect(sampler.canSubscribe('wattbus/#')).toBe(false);
  });

  it('registry owns devices, the bridge, plugin responses and commands, and discovery', () => {
    const registry = rulesOf('registry');
    for (const topic of [
      'wattbus/devices/example/dev/1',
      'wattbus/bridge/devices',
      'wattbus/bridge/response/device/rename',
      'wattbus/registry/state',
      'wattbus/plugins/example/response/units/create',
      'wattbus/plugins/example/command',
      'wattbus/plugins/example/event',
      'homeassistant/sensor/wattbus/x/config',
    ]) {
      expect(registry.canPublish(topic), topic).toBe(true);
    }
    expect(registry.canPublish('wattbus/readings')).toBe(false);
    expect(registry.canPublish('wattbus/plugins/example/state')).toBe(false);
    expect(registry.canSubscribe('wattbus/#')).toBe(true);
    expect(registry.canSubscribe('homeassistant/#')).toBe(true);
  });

  it('homeassistant reads everything and may only send commands, bridge requests and its status', () => {
    const ha = rulesOf('homeassistant');
    expect(ha.canSubscribe('wattbus/#')).toBe(true);
    expect(ha.canSubscribe('homeassistant/#')).toBe(true);
    expect(ha.canPublish('wattbus/devices/example/dev/1/set')).toBe(true);
    expect(ha.canPublish('wattbus/bridge/request/device/rename')).toBe(true);
    expect(ha.canPublish('homeassistant/status')).toBe(true);
    expect(ha.canPublish('wattbus/devices/example/dev/1')).toBe(false);
    expect(ha.canPublish('homeassistant/sensor/x/y/config')).toBe(false);
  });

  it('a plugin publishes only as itself and reads only what it needs', () => {
    const plugin = rulesOf('plugin_example');
    expect(plugin.canPublish('wattbus/plugins/example/state')).toBe(true);
    expect(plugin.canPublish('wattbus/plugins/example/lifecycle')).toBe(true);
    expect(plugin.canPublish('wattbus/plugins/example/request/units/update')).toBe(true);
    // Not as another plugin, not its own responses or commands, not unit state directly.
    expect(plugin.canPublish('wattbus/plugins/other/request/units/update')).toBe(false);
    expect(plugin.canPublish('wattbus/plugins/other/state')).toBe(false);
    expect(plugin.canPublish('wattbus/plugins/example/response/x')).toBe(false);
    expect(plugin.canPublish('wattbus/plugins/example/command')).toBe(false);
    expect(plugin.canPublish('wattbus/devices/example/dev/1')).toBe(false);
    expect(plugin.canPublish('wattbus/devices/other/dev/1/set')).toBe(false);

    for (const filter of [
      'wattbus/readings',
      'wattbus/readings/#',
      'wattbus/energy',
      'wattbus/bridge/settings',
      'wattbus/plugins/example/#',
      'wattbus/devices/example/#',
    ]) {
      expect(plugin.canSubscribe(filter), filter).toBe(true);
    }
    expect(plugin.canSubscribe('wattbus/plugins/other/response/#')).toBe(false);
    expect(plugin.canSubscribe('wattbus/plugins/+/response/#')).toBe(false);
    expect(plugin.canSubscribe('wattbus/devices/other/#')).toBe(false);
    expect(plugin.canSubscribe('wattbus/#')).toBe(false);
    expect(plugin.canSubscribe('homeassistant/#')).toBe(false);
  });

  it('uses the configured plugin id in topics', () => {
    const plugin = rulesOf('plugin_power_devices');
    expect(plugin.canPublish('wattbus/plugins/power-devices/state')).toBe(true);
    expect(plugin.canPublish('wattbus/plugins/power_devices/state')).toBe(false);
  });

  it('follows the configured base topic and discovery prefix', () => {
    const role = roleOf('registry', [])!;
    const registry = new AccessRules(roleRules(role, { base: 'home/energy', discovery: 'ha' }), 'registry');
    expect(registry.canPublish('home/energy/devices/example/dev/1')).toBe(true);
    expect(registry.canPublish('ha/sensor/x/y/config')).toBe(true);
    expect(registry.canPublish('wattbus/devices/example/dev/1')).toBe(false);
  });
});
