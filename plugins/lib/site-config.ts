import { loadConfig } from '@wattbus/shared/config/load.js';
import type { WattbusConfig } from '@wattbus/shared/config/schema.js';

let cached: WattbusConfig | undefined;

/**
 * The whole config.toml as the plugin runner read it (same file, same environment overrides), for the settings a
 * plugin shares with the rest of wattbus: the site name of `[general]` and the channel names of
 * `[current_transformers]`. The runner validated it before starting the plugin, so this does not fail.
 */
export function siteConfig(): WattbusConfig {
  cached ??= loadConfig().config;
  return cached;
}
