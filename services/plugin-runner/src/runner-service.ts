import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Bus,
  ConfigError,
  EXIT_CONFIG,
  type Logger,
  PluginId,
  parseCommandLine,
  runService,
  type ServiceOptions,
  topicFor,
  topics,
} from '@wattbus/shared';
import { z } from 'zod';
import { PluginBusLink } from './supervisor/bus-link.js';
import { Supervisor } from './supervisor/supervisor.js';

const USAGE = `Usage: node services/plugin-runner/dist/main.js [<plugin-id>] [options]

Runs one plugin instance: the [plugins.<plugin-id>] block of config.toml.

  <plugin-id>, --plugin <id>   the instance id (default: WATTBUS_PLUGIN_ID)
  --plugins-dir <path>         where plugin folders live (default: the repository's plugins/ folder)
  --config <path>              config.toml (default: WATTBUS_CONFIG, else ./config.toml)
  -h, --help                   this text`;

const Arguments = z
  .object({
    plugin: PluginId.optional(),
    'plugins-dir': z.string().min(1).optional(),
    config: z.string().min(1).optional(),
    positionals: z
      .array(PluginId, { message: 'the plugin id must use only letters, digits, "_" and "-"' })
      .max(1, 'takes at most one plugin id'),
  })
  .transform((args) => ({ ...args, id: args.plugin ?? args.positionals[0] }))
  .refine((args) => !(args.plugin && args.positionals[0] && args.plugin !== args.positionals[0]), {
    message: 'the plugin id is given twice, differently',
  });

const args = parseCommandLine(
  process.argv.slice(2),
  {
    plugin: { type: 'string', short: 'p' },
    'plugins-dir': { type: 'string' },
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  },
  Arguments,
  USAGE,
);

// WATTBUS_PLUGIN__<KEY> overrides apply to the block named by WATTBUS_PLUGIN_ID, so an id given as an argument
// must be set there before the config is loaded.
if (args.id) {
  if (process.env.WATTBUS_PLUGIN_ID && process.env.WATTBUS_PLUGIN_ID !== args.id) {
    process.stderr.write(
      `error: the plugin id argument ${args.id} differs from WATTBUS_PLUGIN_ID=${process.env.WATTBUS_PLUGIN_ID}\n\n${USAGE}\n`,
    );
    process.exit(64);
  }
  process.env.WATTBUS_PLUGIN_ID = args.id;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const runnerVersion = (
  JSON.parse(readFileSync(resolve(here, '..', 'package.json'), 'utf8')) as { version: string }
).version;
const pluginsDir = resolve(args['plugins-dir'] ?? resolve(here, '..', '..', '..', 'plugins'));

// The stop deadline comes from the plugin's block, read below; runService reads this object when a signal arrives.
const serviceOptions: ServiceOptions = { configPath: args.config, stopTimeoutMs: 40_000 };

await runService(
  'plugin-runner',
  async ({ config, loaded, logger: serviceLogger }) => {
    const pluginId = loaded.pluginId;
    if (!pluginId) {
      throw new ConfigError(['no plugin instance id: set WATTBUS_PLUGIN_ID or pass the id as an argument']);
    }
    const block = config.plugins[pluginId];
    const logger = serviceLogger.child({ plugin: pluginId });
    const folder = block?.plugin ?? pluginId;
    const bus = Bus.connect({
      service: `plugin-${pluginId}`,
      mqtt: config.mqtt,
      discoveryPrefix: config.homeassistant.prefix,
      stateTopic: topicFor(
        topics.pluginState,
        { base: config.mqtt.base_topic, discovery: config.homeassistant.prefix },
        { hw: pluginId },
      ),
      birth: 'manual',
      logger,
    });

    // docker-compose.yml declares a container for every bundled plugin, so a missing block is the normal way of
    // not using one: it must not look like a failure (exit 78 would be reported, and retried by some supervisors).
    if (!block) {
      const file = loaded.path ? resolve(loaded.path) : 'config.toml (none was found; defaults are in use)';
      const known = Object.keys(config.plugins);
      logger.info(
        { config: loaded.path ? file : null, blocks: known },
        `plugin ${pluginId} is not configured: ${file} has no [plugins.${pluginId}] block, so it does not run. ` +
          `To run it, add [plugins.${pluginId}] with enabled = true and the plugin's settings (see plugins/${folder}/README.md)`,
      );
      return reportDisabled(bus, logger, pluginId, { plugin: folder, reason: 'not_configured' });
    }
    if (!block.enabled) {
      logger.info(`plugin ${pluginId} is disabled ([plugins.${pluginId}] enabled = false); exiting`);
      return reportDisabled(bus, logger, pluginId, { plugin: folder, reason: 'disabled' });
    }
    serviceOptions.stopTimeoutMs = (block.stop_timeout + 10) * 1000;

    let supervisor: Supervisor | undefined;
    const link = new PluginBusLink(bus, pluginId, logger, {
      reading: (reading) => supervisor?.deliver({ kind: 'reading', reading }),
      energy: (energy) => supervisor?.deliver({ kind: 'energy', energy }),
      settings: (settings) => supervisor?.deliver({ kind: 'settings', settings }),
      command: (command) => supervisor?.deliver({ kind: 'command', command }),
      event: (event) => supervisor?.deliver({ kind: 'event', event }),
    });
    link.start();
    supervisor = new Supervisor({
      pluginId,
      folder,
      pluginsDir,
      block,
      logLevel: block.log_level ?? config.general.log_level,
      runnerVersion,
      childModule: resolve(here, 'host', 'child-main.js'),
      // The plugin process gets only its own options: the supervisor's (an --inspect port, say) would clash.
      execArgv: block.node_options.split(/\s+/).filter(Boolean),
      // Plugins read the rest of config.toml themselves (plugins/lib/site-config.ts): the same file as the runner,
      // also when it was given as --config. Absolute, so a plugin that changes directory still finds it.
      env: loaded.path ? { ...process.env, WATTBUS_CONFIG: resolve(loaded.path) } : process.env,
      logger,
      link,
      onPermanentFailure: () => {
        void bus.close().finally(() => process.exit(EXIT_CONFIG));
      },
    });
    logger.info({ folder, pluginsDir }, `starting plugin ${pluginId}`);
    supervisor.start();

    return async () => {
      await supervisor?.stop();
      await bus.close();
    };
  },
  serviceOptions,
);

/** Publishes `plugin_disabled` (bounded in time: the broker may be down), then ends the process with 0. */
async function reportDisabled(
  bus: Bus,
  logger: Logger,
  pluginId: string,
  data: { plugin: string; reason: 'disabled' | 'not_configured' },
): Promise<never> {
  try {
    await bus.waitUntilConnected(5000);
    await Promise.race([
      bus.publish(topics.pluginLifecycle, { hw: pluginId }, { type: 'plugin_disabled', data }),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not report plugin_disabled');
  }
  await bus.close();
  process.exit(0);
}
