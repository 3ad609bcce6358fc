// Single modules, not the package's index: that would load the MQTT client and every contract schema into the
// plugin process, for two names.
import { ConfigError } from '@wattbus/shared/config/errors.js';
import { PluginSection } from '@wattbus/shared/config/sections/plugins.js';
import type { z } from 'zod';

/**
 * Keys of a `[plugins.<id>]` block that belong to the plugin runner, not to the plugin: its schema's keys, and
 * `name`, the hardware name the runner announces to the device registry (unit names start with it).
 */
const RUNNER_KEYS = new Set([...Object.keys(PluginSection.shape), 'name']);

function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Validates a plugin's own keys of its `[plugins.<id>]` block (the runner's keys such as `enabled` and
 * `log_level` are left out first). Throws a ConfigError that names every bad key with its value and the rule, as
 * the config loader does for the rest of config.toml, so a user fixes the block in one pass instead of meeting the
 * reference's crashes one at a time. Passwords and tokens are never echoed.
 */
export function parsePluginConfig<Schema extends z.ZodType>(
  schema: Schema,
  block: Readonly<Record<string, unknown>>,
  blockName: string,
): z.infer<Schema> {
  // A plain copy: the block may be a read-only live view, and zod must not see the runner's keys.
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(block)) {
    if (!RUNNER_KEYS.has(key)) own[key] = value;
  }
  const parsed = schema.safeParse(own);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => {
    const paths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return paths.map((path) => {
      const key = path.map(String).join('.') || '(block)';
      const secret = /password|token|secret/i.test(key);
      const value =
        secret && valueAt(own, path) !== undefined ? '[redacted]' : describeValue(valueAt(own, path));
      const rule =
        issue.code === 'unrecognized_keys' ? 'is not a known setting of this plugin' : issue.message;
      return `[${blockName}] ${key} = ${value}: ${rule}`;
    });
  });
  throw new ConfigError(problems);
}
