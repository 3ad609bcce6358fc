import { z } from 'zod';
import { PluginId } from '../contract/primitives.js';
import { BrokerSection } from './sections/broker.js';
import { GeneralSection } from './sections/common.js';
import { MqttSection } from './sections/mqtt.js';
import { PluginSection } from './sections/plugins.js';
import { CurrentTransformersSection, GridVoltageSection } from './sections/power.js';
import { HomeAssistantSection, RegistrySection } from './sections/registry.js';
import { SamplerSection } from './sections/sampler.js';

/**
 * The whole of config.toml. Reference sections keep the reference's names so its files load unchanged; every
 * section has defaults, so a missing file is a valid (demo) configuration.
 */
export const WattbusConfig = z.object({
  general: GeneralSection.default(GeneralSection.parse({})),
  grid_voltage: GridVoltageSection.default(GridVoltageSection.parse({})),
  current_transformers: CurrentTransformersSection.default({}),
  mqtt: MqttSection.default(MqttSection.parse({})),
  broker: BrokerSection.default(BrokerSection.parse({})),
  sampler: SamplerSection.default(SamplerSection.parse({})),
  registry: RegistrySection.default(RegistrySection.parse({})),
  homeassistant: HomeAssistantSection.default(HomeAssistantSection.parse({})),
  plugins: z.record(PluginId, PluginSection).default({}),
});
export type WattbusConfig = z.infer<typeof WattbusConfig>;

/** Sections of the reference's config.toml that wattbus reads elsewhere; they are reported, not rejected. */
export const IGNORED_REFERENCE_SECTIONS: Record<string, string> = {
  database: 'InfluxDB settings now live in the [plugins.influxdb] block',
  logging: 'use [general] log_level',
};
