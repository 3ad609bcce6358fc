import convict from 'convict';
import { parse as parseToml } from 'smol-toml';

/**
 * Service settings that containers pass through the environment. Declared with convict so they are documented in
 * one place (`describeEnvironment()` prints them) and secrets are marked sensitive.
 */
const serviceSettings = {
  config: {
    doc: 'Path of config.toml',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_CONFIG',
  },
  log_level: {
    doc: 'Log level ([general] log_level)',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_LOG_LEVEL',
    path: 'general.log_level',
  },
  mqtt_url: {
    doc: 'Broker URL ([mqtt] url)',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_MQTT_URL',
    path: 'mqtt.url',
  },
  mqtt_username: {
    doc: 'Broker username ([mqtt] username)',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_MQTT_USERNAME',
    path: 'mqtt.username',
  },
  mqtt_password: {
    doc: 'Broker password ([mqtt] password)',
    format: String,
    default: null,
    nullable: true,
    sensitive: true,
    env: 'WATTBUS_MQTT_PASSWORD',
    path: 'mqtt.password',
  },
  mqtt_client_id: {
    doc: 'MQTT client id ([mqtt] client_id)',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_MQTT_CLIENT_ID',
    path: 'mqtt.client_id',
  },
  base_topic: {
    doc: 'Base topic ([mqtt] base_topic)',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_BASE_TOPIC',
    path: 'mqtt.base_topic',
  },
  plugin_id: {
    doc: 'Plugin instance id of a plugin runner',
    format: String,
    default: null,
    nullable: true,
    env: 'WATTBUS_PLUGIN_ID',
  },
} as const;

type SettingName = keyof typeof serviceSettings;

export interface EnvironmentOverride {
  /** Dotted key in config.toml, lower case. */
  path: string[];
  value: unknown;
  /** The environment variable it came from, for error messages. */
  source: string;
}

export interface EnvironmentSettings {
  configPath: string | undefined;
  pluginId: string | undefined;
  overrides: EnvironmentOverride[];
}

const GENERIC_PREFIX = 'WATTBUS__';
const PLUGIN_PREFIX = 'WATTBUS_PLUGIN__';

/**
 * A value from the environment is read as a TOML value when it is one (`100`, `true`, `"text"`, `[1, 2]`) and as a
 * plain string otherwise, so `WATTBUS__MQTT__URL=mqtt://broker` and `WATTBUS__SAMPLER__SAMPLES_PER_BATCH=500` both
 * work without quoting.
 */
export function readEnvironmentValue(raw: string): unknown {
  try {
    return parseToml(`value = ${raw}`).value;
  } catch {
    return raw;
  }
}

export function readEnvironment(env: NodeJS.ProcessEnv): EnvironmentSettings {
  const settings = convict(serviceSettings as unknown as convict.Schema<Record<SettingName, string | null>>, {
    env: env as Record<string, string>,
  });
  const overrides: EnvironmentOverride[] = [];
  for (const [name, spec] of Object.entries(serviceSettings)) {
    const value = settings.get(name as SettingName);
    if (value !== null && value !== undefined && 'path' in spec) {
      overrides.push({ path: spec.path.split('.'), value, source: spec.env });
    }
  }
  const pluginId = settings.get('plugin_id') ?? undefined;
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    if (name.startsWith(PLUGIN_PREFIX) && pluginId) {
      const key = name.slice(PLUGIN_PREFIX.length).toLowerCase().split('__');
      overrides.push({ path: ['plugins', pluginId, ...key], value: readEnvironmentValue(raw), source: name });
    } else if (name.startsWith(GENERIC_PREFIX)) {
      const key = name.slice(GENERIC_PREFIX.length).toLowerCase().split('__');
      overrides.push({ path: key, value: readEnvironmentValue(raw), source: name });
    }
  }
  return { configPath: settings.get('config') ?? undefined, pluginId, overrides };
}

/** One line per declared variable, for `--help` output and the docs. */
export function describeEnvironment(): string[] {
  return Object.values(serviceSettings).map((spec) => `${spec.env}: ${spec.doc}`);
}
