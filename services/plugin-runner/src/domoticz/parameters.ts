import { PluginSection } from '@wattbus/shared/config/sections/plugins.js';
import {
  FIELD_CONFIG_KEYS,
  PARAMETER_FIELDS,
  type ParameterField,
  PluginConfigurationError,
  type ValidDefinition,
} from './definition.js';

/**
 * Domoticz's `Parameters`: static for the plugin's lifetime, every value a string (Port is `"8080"`). Fields the
 * definition does not use are empty strings.
 */
export interface Parameters {
  readonly key: string;
  /** The hardware name: `name` in the plugin's block, else the instance id. */
  readonly name: string;
  /** The plugin folder, with a trailing separator. */
  readonly homeFolder: string;
  readonly author: string;
  readonly version: string;
  readonly address: string;
  readonly port: string;
  readonly serialPort: string;
  readonly username: string;
  readonly password: string;
  readonly mode1: string;
  readonly mode2: string;
  readonly mode3: string;
  readonly mode4: string;
  readonly mode5: string;
  readonly mode6: string;
  /** The framework version: `wattbus <runner version>`. */
  readonly domoticzVersion: string;
  readonly domoticzHash: string;
  readonly domoticzBuildTime: string;
  /** The registry's number for this hardware, as a string. */
  readonly hardwareId: string;
  /** Domoticz paths that have no wattbus equivalent; given sensible local values. */
  readonly startupFolder: string;
  readonly userDataFolder: string;
  readonly webRoot: string;
  readonly database: string;
  readonly language: string;
}

/** Keys of a plugin block that belong to the runner (and `name`, the hardware name), not to the parameters. */
const RUNNER_KEYS = new Set([...Object.keys(PluginSection.shape), 'name']);

export type ParameterValues = Record<ParameterField, string>;

export interface ResolvedParameters {
  values: ParameterValues;
  /** Keys of the block that are neither the runner's nor a parameter of the definition. */
  unknownKeys: string[];
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Fills each parameter from the plugin's `[plugins.<id>]` block (snake_case keys: `address`, `port`,
 * `serial_port`, `mode1`, ...), applying defaults, and checks the definition's rules: a required parameter must
 * have a value, and a parameter with options must use one of their values. Every problem is reported at once.
 */
export function resolveParameters(
  definition: ValidDefinition,
  block: PluginSection,
  pluginId: string,
): ResolvedParameters {
  const problems: string[] = [];
  const values = Object.fromEntries(PARAMETER_FIELDS.map((field) => [field, ''])) as ParameterValues;
  const used = new Set<string>();
  for (const param of definition.params) {
    const key = FIELD_CONFIG_KEYS[param.field];
    used.add(key);
    const where = `[plugins.${pluginId}] ${key} (${param.label})`;
    const raw = (block as Record<string, unknown>)[key];
    let value: string | undefined;
    if (raw !== undefined) {
      if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') value = String(raw);
      else {
        problems.push(`${where} = ${describe(raw)}: must be a string or a number`);
        continue;
      }
    }
    if (param.options) {
      const allowed = param.options.map((option) => option.value);
      if (value === undefined || value === '') {
        value = (param.options.find((option) => option.default) ?? param.options[0]!).value;
      } else if (!allowed.includes(value)) {
        const choices = param.options
          .map((option) => `${JSON.stringify(option.value)} (${option.label})`)
          .join(', ');
        problems.push(`${where} = ${describe(raw)}: must be one of ${choices}`);
        continue;
      }
    } else if (value === undefined || value === '') {
      value = param.default ?? '';
    }
    if (param.required && value === '') {
      problems.push(`${where} is required by plugin ${definition.key} and has no value`);
      continue;
    }
    values[param.field] = value;
  }
  if (problems.length > 0) throw new PluginConfigurationError(problems);
  const unknownKeys = Object.keys(block).filter((key) => !RUNNER_KEYS.has(key) && !used.has(key));
  return { values, unknownKeys };
}

export interface ParameterContext {
  pluginId: string;
  homeFolder: string;
  hardwareId: number;
  runnerVersion: string;
  buildTime: string;
  language: string;
}

export function buildParameters(
  definition: ValidDefinition,
  resolved: ParameterValues,
  block: PluginSection,
  context: ParameterContext,
): Parameters {
  const name = typeof block.name === 'string' && block.name !== '' ? block.name : context.pluginId;
  return Object.freeze({
    key: definition.key,
    name,
    homeFolder: context.homeFolder,
    author: definition.author ?? '',
    version: definition.version,
    ...resolved,
    domoticzVersion: `wattbus ${context.runnerVersion}`,
    domoticzHash: process.env.WATTBUS_BUILD_HASH ?? '',
    domoticzBuildTime: context.buildTime,
    hardwareId: String(context.hardwareId),
    startupFolder: `${process.cwd()}/`,
    userDataFolder: `${process.cwd()}/`,
    webRoot: '',
    database: '',
    language: context.language,
  });
}

/** The parameters the registry may store (and show): everything but password fields. */
export function storableSettings(
  definition: ValidDefinition,
  values: ParameterValues,
): Record<string, string> {
  const secret = new Set(
    definition.params.filter((param) => param.password || param.field === 'password').map((p) => p.field),
  );
  return Object.fromEntries(
    definition.params
      .filter((param) => !secret.has(param.field))
      .map((param) => [param.field, values[param.field]]),
  );
}
