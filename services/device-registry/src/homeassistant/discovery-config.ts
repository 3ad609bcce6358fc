import { type DiscoveryConfig, type TopicRoots, topicFor, topics } from '@wattbus/shared';
import { unitKind } from '../catalogue/unit-kind.js';
import { entitiesOf } from './entities.js';
import { nodeId, objectId, slugify } from './ids.js';

export interface DiscoveryUnit {
  hardware: string;
  deviceId: string;
  unit: number;
  name: string;
  typeName: string | undefined;
  type: number;
  subtype: number;
  switchtype: number;
  options: Readonly<Record<string, string>>;
  used: boolean;
}

export interface DiscoveryHardware {
  name: string;
}

export interface DiscoverySettings {
  roots: TopicRoots;
  /** wattbus's version, for the origin block. */
  version: string;
  unusedUnits: 'enabled' | 'disabled' | 'hidden';
}

export interface DiscoveryMessage {
  topic: string;
  config: DiscoveryConfig;
}

export const ORIGIN_NAME = 'wattbus';

/** The availability entries every config carries: the registry's and the owning plugin's state topics. */
export function availabilityOf(roots: TopicRoots, hardware: string) {
  return [
    {
      topic: topicFor(topics.registryState, roots, {}),
      payload_available: 'online',
      payload_not_available: 'offline',
    },
    {
      topic: topicFor(topics.pluginState, roots, { hw: hardware }),
      payload_available: 'online',
      payload_not_available: 'offline',
    },
  ];
}

/**
 * The discovery configs of one unit, following mqtt-contract.md: single-component discovery, full key names,
 * stable unique_ids, a device and an origin block, and availability from the registry's and the plugin's state
 * topics (both must be online). Each Unit is one Home Assistant device, as each Unit is one device in Domoticz.
 */
export function discoveryConfigs(
  unit: DiscoveryUnit,
  hardware: DiscoveryHardware,
  settings: DiscoverySettings,
): DiscoveryMessage[] {
  if (!unit.used && settings.unusedUnits === 'hidden') return [];
  const { roots } = settings;
  const node = nodeId(roots.base, unit.hardware);
  const deviceIdentifier = `${node}_${objectId(unit.deviceId, unit.unit)}`;
  const stateTopic = topicFor(topics.unitState, roots, {
    hw: unit.hardware,
    device: unit.deviceId,
    unit: unit.unit,
  });
  const commandTopic = topicFor(topics.unitSet, roots, {
    hw: unit.hardware,
    device: unit.deviceId,
    unit: unit.unit,
  });
  const kind = unitKind(unit.type, unit.subtype, unit.switchtype);

  return entitiesOf(kind, unit).map((entity) => {
    const object = objectId(unit.deviceId, unit.unit, entity.key);
    const uniqueId = `${node}_${object}`;
    const slug = slugify(entity.name ? `${unit.name} ${entity.name}` : unit.name) || uniqueId.toLowerCase();
    const config: DiscoveryConfig = {
      unique_id: uniqueId,
      name: entity.name,
      default_entity_id: `${entity.component}.${slug}`,
      object_id: slug,
      device: {
        identifiers: [deviceIdentifier],
        name: unit.name,
        // Home Assistant shows "<model> by <manufacturer>": the unit's type, by the plugin instance that owns it.
        manufacturer: hardware.name,
        model: unit.typeName ?? `Type ${unit.type}, SubType ${unit.subtype}, SwitchType ${unit.switchtype}`,
      },
      origin: { name: ORIGIN_NAME, sw_version: settings.version },
      availability: availabilityOf(roots, unit.hardware),
      availability_mode: 'all',
      qos: 1,
      ...(entity.state ? { state_topic: stateTopic } : {}),
      ...(entity.commands ? { command_topic: commandTopic } : {}),
      ...entity.config,
    };
    // A light reads and sends brightness and colour on the unit's own state and set topics.
    if (entity.component === 'light') {
      Object.assign(config, {
        brightness_state_topic: stateTopic,
        brightness_command_topic: commandTopic,
        ...('rgb_command_template' in entity.config
          ? { rgb_state_topic: stateTopic, rgb_command_topic: commandTopic }
          : {}),
      });
    }
    if (!unit.used && settings.unusedUnits === 'disabled') config.enabled_by_default = false;
    return {
      topic: topicFor(topics.discoveryConfig, roots, { component: entity.component, node, object }),
      config,
    };
  });
}
