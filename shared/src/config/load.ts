import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { type EnvironmentOverride, readEnvironment } from './environment.js';
import { ConfigError } from './errors.js';
import { IGNORED_REFERENCE_SECTIONS, WattbusConfig } from './schema.js';

export interface LoadedConfig {
  config: WattbusConfig;
  /** The file read, or undefined when none exists and defaults were used. */
  path: string | undefined;
  /** The plugin instance id from WATTBUS_PLUGIN_ID, for plugin runners. */
  pluginId: string | undefined;
  /** Non-fatal findings, such as reference sections that wattbus reads elsewhere. */
  warnings: string[];
}

export interface LoadOptions {
  /** An explicit path (from --config) must exist; without one, WATTBUS_CONFIG or ./config.toml is used if present. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readToml(path: string): Table {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read ${path}: ${(error as Error).message}`]);
  }
  try {
    return parseToml(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError([
        `${path}:${error.line}:${error.column}: not valid TOML: ${error.message.split('\n')[0]}`,
      ]);
    }
    throw error;
  }
}

function applyOverride(target: Table, override: EnvironmentOverride): void {
  let table = target;
  const path = override.path;
  for (const key of path.slice(0, -1)) {
    // Plugin ids keep their case in config.toml; environment names are upper case, so match case-insensitively.
    const existing = Object.keys(table).find((name) => name.toLowerCase() === key) ?? key;
    if (!isTable(table[existing])) table[existing] = {};
    table = table[existing] as Table;
  }
  table[path[path.length - 1]!] = override.value;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (!isTable(value) && !Array.isArray(value)) return undefined;
    value = (value as Table)[key as string];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The environment variable that set `key` or a setting under it. An unknown key or section that came from a
 * variable such as WATTBUS__NOPE__X is reported at `nope`, so an exact lookup would wrongly name the file.
 */
function sourceOf(sources: Map<string, string>, key: string): string | undefined {
  if (sources.has(key)) return sources.get(key);
  for (const [path, source] of sources) if (path.startsWith(`${key}.`)) return source;
  return undefined;
}

function describeIssues(
  error: z.ZodError,
  input: Table,
  sources: Map<string, string>,
  file: string,
): string[] {
  return error.issues.flatMap((issue) => {
    // An unknown key is reported on its parent; name each key on its own line.
    const keys =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return keys.map((path) => {
      const key = path.map(String).join('.');
      const value = valueAt(input, path);
      const source = (issue.code === 'unrecognized_keys' ? sourceOf(sources, key) : sources.get(key)) ?? file;
      const rule = issue.code === 'unrecognized_keys' ? 'is not a known setting' : issue.message;
      return `${key || '(root)'} = ${describeValue(value)} (from ${source}): ${rule}`;
    });
  });
}

/**
 * Reads config.toml, applies environment overrides and validates everything. Throws ConfigError listing every
 * problem at once, so a user fixes a file in one pass.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const environment = readEnvironment(env);
  const explicit = options.path ?? environment.configPath;
  const path = explicit ?? (existsSync('config.toml') ? 'config.toml' : undefined);
  if (explicit !== undefined && !existsSync(explicit)) {
    throw new ConfigError([`config file ${explicit} does not exist`]);
  }
  const input: Table = path ? readToml(path) : {};
  const file = path ?? 'defaults';

  const warnings: string[] = [];
  for (const [section, advice] of Object.entries(IGNORED_REFERENCE_SECTIONS)) {
    if (section in input) {
      warnings.push(
        `[${section}] is a section of the reference's config.toml and is ignored here: ${advice}`,
      );
      delete input[section];
    }
  }

  const sources = new Map<string, string>();
  const problems: string[] = [];
  for (const override of environment.overrides) {
    // A doubled or trailing separator (WATTBUS__SAMPLER____RATE, WATTBUS__) leaves an empty key level: it names no
    // setting, and applying it would report a key such as "sampler." without naming the variable.
    if (override.path.some((key) => key === '')) {
      problems.push(
        `${override.source} (from the environment): names no setting; use WATTBUS__<SECTION>__<KEY> (or WATTBUS_PLUGIN__<KEY>) with "__" between non-empty levels`,
      );
      continue;
    }
    applyOverride(input, override);
    sources.set(override.path.join('.'), override.source);
  }

  const known = new Set(Object.keys(WattbusConfig.shape));
  const unknownSections = Object.keys(input).filter((section) => !known.has(section));
  problems.push(
    ...unknownSections.map(
      (section) => `[${section}] (from ${sourceOf(sources, section) ?? file}): is not a known section`,
    ),
  );
  const parsed = WattbusConfig.safeParse(input);
  if (!parsed.success) problems.push(...describeIssues(parsed.error, input, sources, file));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  return { config: parsed.data, path, pluginId: environment.pluginId, warnings };
}
