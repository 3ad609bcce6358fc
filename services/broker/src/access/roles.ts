import { filterFor, type TopicRoots, topics } from '@wattbus/shared/contract/topics.js';
import type { AccessRule } from './rules.js';

/** The built-in roles of the service accounts docker-compose.yml creates, chosen by username. */
export type Role =
  | { kind: 'sampler' }
  | { kind: 'registry' }
  | { kind: 'homeassistant' }
  | { kind: 'plugin'; id: string };

const PLUGIN_PREFIX = 'plugin_';

/**
 * The role of a username, or undefined for an ordinary user. `plugin_<id>` names the plugin instance `<id>`.
 * Environment variable names are upper case and cannot contain `-`, so the id is matched against the configured
 * plugin ids ignoring case and treating `-` as `_`: `WATTBUS_SERVICE_ACCOUNT_PLUGIN_POWER_DEVICES` is the account
 * of `[plugins.power-devices]` as well as of `[plugins.power_devices]`.
 */
export function roleOf(username: string, pluginIds: readonly string[]): Role | undefined {
  if (username === 'sampler' || username === 'registry' || username === 'homeassistant') {
    return { kind: username };
  }
  if (!username.startsWith(PLUGIN_PREFIX) || username.length === PLUGIN_PREFIX.length) return undefined;
  const suffix = username.slice(PLUGIN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(suffix)) return undefined;
  if (pluginIds.includes(suffix)) return { kind: 'plugin', id: suffix };
  const normalise = (id: string) => id.toLowerCase().replaceAll('-', '_');
  const candidates = pluginIds.filter((id) => normalise(id) === normalise(suffix));
  return { kind: 'plugin', id: candidates.length === 1 ? candidates[0]! : suffix };
}

export function describeRole(role: Role): string {
  return role.kind === 'plugin' ? `role plugin (${role.id})` : `role ${role.kind}`;
}

/**
 * A whole subtree (`<root>/<levels...>/#`). Roles grant subtrees where the contract has several topics under one
 * prefix; single topics come from the contract's topic map.
 */
function subtree(root: string, ...levels: string[]): string {
  return [root, ...levels, '#'].join('/');
}

const publish = (filter: string): AccessRule => ({ access: 'write', filter });
const subscribe = (filter: string): AccessRule => ({ access: 'read', filter });

/**
 * Each service may publish what it owns and read what it needs (docs/broker.md lists the rules). A plugin publishes
 * only under `<base>/plugins/<its id>/`, so it cannot speak for another plugin, change another plugin's units, or
 * read another plugin's configuration responses.
 */
export function roleRules(role: Role, roots: TopicRoots): AccessRule[] {
  const { base, discovery } = roots;
  switch (role.kind) {
    case 'sampler':
      return [
        publish(filterFor(topics.readings, roots)),
        publish(subtree(base, 'readings')),
        publish(filterFor(topics.energy, roots)),
        publish(filterFor(topics.samplerState, roots)),
        publish(filterFor(topics.bridgeEvent, roots)),
        subscribe(filterFor(topics.energy, roots)),
        subscribe(subtree(base, 'sampler')),
      ];
    case 'registry':
      return [
        publish(subtree(base, 'devices')),
        publish(subtree(base, 'bridge')),
        publish(filterFor(topics.registryState, roots)),
        publish(filterFor(topics.pluginResponse, roots)),
        publish(filterFor(topics.pluginCommand, roots)),
        publish(filterFor(topics.pluginEvent, roots)),
        publish(subtree(discovery)),
        subscribe(subtree(base)),
        subscribe(subtree(discovery)),
      ];
    case 'homeassistant':
      return [
        subscribe(subtree(base)),
        subscribe(subtree(discovery)),
        publish(filterFor(topics.unitSet, roots)),
        publish(filterFor(topics.bridgeRequest, roots)),
        publish(filterFor(topics.homeAssistantStatus, roots)),
      ];
    case 'plugin': {
      const hw = { hw: role.id };
      return [
        publish(filterFor(topics.pluginState, roots, hw)),
        publish(filterFor(topics.pluginLifecycle, roots, hw)),
        publish(filterFor(topics.pluginRequest, roots, hw)),
        subscribe(filterFor(topics.readings, roots)),
        subscribe(subtree(base, 'readings')),
        subscribe(filterFor(topics.energy, roots)),
        subscribe(filterFor(topics.bridgeSettings, roots)),
        subscribe(subtree(base, 'plugins', role.id)),
        subscribe(subtree(base, 'devices', role.id)),
      ];
    }
  }
}
