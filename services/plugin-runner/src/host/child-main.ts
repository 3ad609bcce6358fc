import { relative } from 'node:path';
import type { Logger, LogLevel } from '@wattbus/shared';
import { createLogger } from '@wattbus/shared/log/logger.js';
import { isConfigurationError } from '../configuration-error.js';
import { DomoticzHost } from '../domoticz/domoticz-host.js';
import { EXIT_PERMANENT, type InitMessage, type ToChild, type ToParent } from '../ipc/messages.js';
import { PowerHost, startPluginThrew } from '../power/power-host.js';
import type { PluginConfig, PowerPlugin } from '../power/types.js';
import { ParentLink } from './parent-link.js';
import { classifyPlugin, importPlugin, locatePlugin, PluginLoadError } from './plugin-loader.js';

/**
 * The plugin process: forked by the supervisor, it loads one plugin and runs it with the API its exports ask for.
 * It talks only to the supervisor (over IPC); the supervisor owns the MQTT connection.
 */

if (!process.send) {
  process.stderr.write(
    'this is the plugin process of the wattbus plugin runner; start services/plugin-runner/dist/main.js\n',
  );
  process.exit(64);
}

const send = (message: ToParent, then?: () => void): void => {
  if (!process.connected) {
    then?.();
    return;
  }
  process.send!(message, undefined, {}, () => then?.());
};
const link = new ParentLink((message) => send(message));

interface Host {
  stop(): Promise<void>;
  readonly currentCallback?: { name: string; since: number } | undefined;
}

let logger: Logger | undefined;
let host: Host | undefined;
let shuttingDown = false;

function exit(code: number): never {
  process.exit(code);
}

/** Ends the process after the supervisor has the last message (and stdout its last line). */
function fail(error: unknown): void {
  const permanent = isConfigurationError(error) || (error instanceof PluginLoadError && error.permanent);
  const reason = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  logger?.error(
    { err: cause ?? error, permanent },
    permanent
      ? `plugin cannot start: ${reason}`
      : `plugin failed: ${reason}${cause?.stack ? `\n${cause.stack}` : ''}`,
  );
  send({ kind: 'fatal', reason: reason.slice(0, 4000), permanent }, () =>
    exit(permanent ? EXIT_PERMANENT : 1),
  );
}

async function start(init: InitMessage): Promise<void> {
  logger = createLogger({
    service: 'plugin-runner',
    level: init.logLevel as LogLevel,
    bindings: { plugin: init.pluginId, pid: process.pid },
  });
  // Plugin code runs here: an exception it throws from a timer or event handler is logged, and the plugin keeps
  // running, as a Domoticz plugin does after an exception in a callback.
  process.on('uncaughtException', (error) =>
    logger?.error(
      { err: error },
      `uncaught exception in plugin code (the plugin keeps running): ${error.message}`,
    ),
  );
  process.on('unhandledRejection', (reason) =>
    logger?.error(
      { err: reason instanceof Error ? reason : String(reason) },
      'unhandled promise rejection in plugin code (the plugin keeps running)',
    ),
  );

  const located = locatePlugin(init.pluginsDir, init.folder);
  const entry = relative(process.cwd(), located.entry) || located.entry;
  logger.debug({ entry, source: located.source }, 'loading plugin');
  // The Domoticz runtime exists before the module runs, so module-level register() and logging work.
  const domoticz = new DomoticzHost({
    pluginId: init.pluginId,
    pluginDir: located.dir,
    folder: init.folder,
    block: init.block,
    logger,
    link,
    runnerVersion: init.runnerVersion,
    entry,
  });
  const loaded = classifyPlugin(await importPlugin(located), entry);
  link.loaded(loaded.style);
  if (loaded.style === 'power') {
    const power = new PowerHost(loaded.exports as unknown as PowerPlugin, {
      pluginId: init.pluginId,
      folder: init.folder,
      runtime: domoticz.runtime,
      config: deepFreeze(structuredClone(init.block)) as PluginConfig,
      logger,
      link,
    });
    host = power;
    await power.start();
    power.finished.then(
      () => logger?.debug('startPlugin() returned; the plugin keeps running until it is stopped'),
      (error: unknown) => {
        if (shuttingDown) return;
        if (isConfigurationError(error)) {
          fail(error);
          return;
        }
        logger?.error(
          { err: error },
          'startPlugin() threw; the plugin process ends so that the runner restarts it',
        );
        send({ kind: 'fatal', reason: startPluginThrew(error).message, permanent: false }, () => exit(1));
      },
    );
  } else {
    host = domoticz;
    await domoticz.start(loaded.exports);
  }
  logger.info({ style: loaded.style, entry, source: located.source }, 'plugin started');
  link.started();
}

async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  try {
    await host?.stop();
  } catch (error) {
    logger?.error({ err: error }, 'error while stopping the plugin');
  }
  exit(0);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

process.on('message', (raw) => {
  const message = raw as ToChild;
  if (link.handle(message)) return;
  switch (message.kind) {
    case 'init':
      start(message).catch(fail);
      return;
    case 'ping':
      link.pong(message.seq, host?.currentCallback);
      return;
    case 'stop':
      void shutdown();
      return;
  }
});

// Without its supervisor this process has no way to report or receive anything: stop the plugin and end.
process.on('disconnect', () => {
  link.failAll('the plugin runner supervisor went away');
  setTimeout(() => exit(0), 5000).unref();
  void shutdown();
});

// Ctrl-C reaches the whole process group; the supervisor decides when and how this process stops.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
