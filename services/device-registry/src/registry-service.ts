import { createRequire } from 'node:module';
import {
  type BridgeSettings,
  Bus,
  filterFor,
  type Logger,
  topicFor,
  topics,
  type WattbusConfig,
} from '@wattbus/shared';
import BetterSqlite3 from 'better-sqlite3';
import { DiscoveryPublisher } from './homeassistant/discovery-publisher.js';
import { HttpApi } from './http/http-api.js';
import { CommandRouter } from './protocol/commands.js';
import { PluginPresence } from './protocol/plugin-presence.js';
import { serveRequests } from './protocol/requests.js';
import { coalesceWrites } from './publish/coalesce-writes.js';
import { MqttOutputs } from './publish/mqtt-outputs.js';
import { scanRetained } from './publish/retained-scan.js';
import { createBridgeHandlers } from './registry/bridge-operations.js';
import type { RegistryContext } from './registry/context.js';
import { unitRecord } from './registry/records.js';
import { RegistryCore } from './registry/registry-core.js';
import { closeDatabase, type OpenedDatabase, openDatabase } from './store/database.js';
import { GroupCommit } from './store/group-commit.js';
import { migrate, SCHEMA_VERSION } from './store/migrations.js';
import { RegistryStore } from './store/registry-store.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RunningRegistry {
  bus: Bus;
  httpPort: number | undefined;
  stop(): Promise<void>;
}

/**
 * Opens the database; if nothing can be opened at all (a read-only directory without a database yet), the
 * registry still starts, empty and refusing writes, rather than crash-looping, and leaves the broker's retained
 * topics alone.
 */
function openStorage(config: WattbusConfig['registry'], logger: Logger): OpenedDatabase & { empty: boolean } {
  try {
    const opened = openDatabase({
      path: config.database,
      synchronous: config.synchronous,
      maxDatabaseMb: config.max_database_mb,
    });
    if (opened.migrated.length > 0)
      logger.info({ versions: opened.migrated }, 'migrated the registry database');
    return { ...opened, empty: false };
  } catch (error) {
    if ((error as Error).name === 'SchemaTooNewError') throw error;
    const reason = `cannot open ${config.database}: ${(error as Error).message}`;
    logger.error({ reason }, 'registry database unavailable; running empty and read-only');
    const db = new BetterSqlite3(':memory:');
    migrate(db);
    return { db, readOnlyReason: reason, migrated: [], empty: true };
  }
}

async function waitForBroker(bus: Bus, logger: Logger, stopping: () => boolean): Promise<void> {
  while (!stopping()) {
    try {
      await bus.waitUntilConnected(30_000);
      return;
    } catch (error) {
      if (!stopping()) logger.warn({ err: (error as Error).message }, 'still waiting for the MQTT broker');
    }
  }
}

export async function startRegistry(config: WattbusConfig, logger: Logger): Promise<RunningRegistry> {
  const storage = openStorage(config.registry, logger);
  const readOnly = storage.readOnlyReason !== undefined;
  if (readOnly)
    logger.error({ reason: storage.readOnlyReason }, 'registry is degraded: the database cannot be written');
  const store = new RegistryStore(storage.db, readOnly);

  const bus = Bus.connect({
    service: 'registry',
    mqtt: config.mqtt,
    discoveryPrefix: config.homeassistant.prefix,
    stateTopic: topicFor(
      topics.registryState,
      { base: config.mqtt.base_topic, discovery: config.homeassistant.prefix },
      {},
    ),
    birth: 'manual',
    logger,
  });

  coalesceWrites(bus.client);

  const settings = (): BridgeSettings => ({
    Title: config.registry.title,
    Language: config.registry.language,
    ...config.registry.settings,
    ...Object.fromEntries(store.settings),
    DB_Version: String(SCHEMA_VERSION),
  });
  const discovery = new DiscoveryPublisher(
    bus,
    config.homeassistant,
    { hardware: (key) => store.hardware.get(key), units: () => store.allUnits() },
    version,
    logger,
  );
  const outputs = new MqttOutputs(bus, store, discovery, settings, logger);
  const presence = new PluginPresence(bus, outputs, logger);
  outputs.isOnline = presence.isOnline;

  const commit = new GroupCommit(
    store,
    config.registry.max_batch,
    {
      onBatchDone: () => outputs.flush(),
      onActionError: (error) => logger.error({ err: error }, 'publishing after a commit failed'),
      onStorageError: (reason) => {
        logger.error(
          { reason },
          'registry is degraded: a commit failed; changes are refused until storage works',
        );
        outputs.bridgeEvent('registry_degraded', { reason });
      },
      onStorageRecovered: () => {
        logger.info('registry storage works again');
        outputs.bridgeEvent('registry_recovered', {});
      },
    },
    storage.readOnlyReason,
  );
  const context: RegistryContext = {
    store,
    outputs,
    now: Date.now,
    timing: {
      historyIntervalMs: config.registry.history_interval * 1000,
      maxGapMs: config.registry.energy_integration_max_gap * 1000,
    },
  };
  const core = new RegistryCore(context, commit);
  const commands = new CommandRouter({ bus, store, outputs, isOnline: presence.isOnline, logger });
  const bridge = createBridgeHandlers({
    core,
    sendCommand: (address, command, source) => commands.send(address, command, source),
    republishDiscovery: () => discovery.publishAll(true),
    isOnline: presence.isOnline,
    settings,
  });

  presence.start();
  commands.start();
  serveRequests({
    bus,
    core,
    bridge,
    logger,
    reject: (topic, error) => {
      logger.warn({ topic, error }, 'request rejected without an answer');
      outputs.bridgeEvent('request_rejected', { topic, error });
    },
  });
  if (readOnly) outputs.bridgeEvent('registry_degraded', { reason: storage.readOnlyReason });

  let http: HttpApi | undefined;
  let httpPort: number | undefined;
  if (config.registry.http_port > 0) {
    http = new HttpApi({
      host: config.registry.http_host,
      port: config.registry.http_port,
      token: config.registry.http_token,
      bridge,
      settings,
      logger,
      health: () => ({
        service: 'registry',
        version,
        mqtt: bus.connected ? 'connected' : 'disconnected',
        database: commit.isDegraded ? 'degraded' : 'ok',
        ...(storage.readOnlyReason ? { reason: storage.readOnlyReason } : {}),
        hardware: store.hardware.size,
        units: [...store.allUnits()].length,
      }),
      unit: (hardware, deviceId, unit) => {
        const found = store.findUnit(hardware, deviceId, unit);
        return found ? unitRecord(found) : undefined;
      },
    });
    httpPort = await http.start();
  }

  // Everything that needs the broker runs once it is reachable; the service is up (and stoppable) meanwhile.
  let stopping = false;
  const publishOnceConnected = async () => {
    await waitForBroker(bus, logger, () => stopping);
    if (stopping) return;
    outputs.publishAll();
    await bus.setState('online');
    discovery.listenForBirth();
    logger.info(
      { hardware: store.hardware.size, units: [...store.allUnits()].length, httpPort, degraded: readOnly },
      'registry ready',
    );
    if (storage.empty) return;
    const roots = bus.roots;
    const retained = await scanRetained(
      { mqtt: config.mqtt, discoveryPrefix: config.homeassistant.prefix, logger },
      [filterFor(topics.discoveryConfig, roots, {}), filterFor(topics.unitState, roots, {})],
      config.homeassistant.cleanup_scan_seconds * 1000,
    );
    if (stopping) return;
    const stale = outputs.removeStaleStates(retained);
    const found = discovery.start(retained);
    logger.info({ ...found, staleStates: stale }, 'discovery published');
  };
  publishOnceConnected().catch((error: unknown) => logger.error({ err: error }, 'startup publishing failed'));

  let pruneTimer: NodeJS.Timeout | undefined;
  const retentionDays = config.registry.history_retention_days;
  if (retentionDays > 0 && !readOnly) {
    const prune = () =>
      core
        .run('bridge', true, ({ context }) => context.store.pruneHistory(Date.now() - retentionDays * DAY_MS))
        .then((removed) => removed > 0 && logger.info({ removed }, 'pruned old history rows'))
        .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'history pruning failed'));
    void prune();
    pruneTimer = setInterval(prune, DAY_MS);
    pruneTimer.unref();
  }

  return {
    bus,
    httpPort,
    async stop() {
      stopping = true;
      clearInterval(pruneTimer);
      discovery.stop();
      await http?.stop();
      commit.flush();
      // After the last commit, so the states it changed are sent too.
      outputs.stop();
      await bus.close();
      closeDatabase(storage.db, readOnly);
    },
  };
}
