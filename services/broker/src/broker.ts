import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger, WattbusConfig } from '@wattbus/shared';
import { Aedes, type AedesOptions } from 'aedes';
import { AccessControl } from './access/access-control.js';
import { installAccessHooks } from './access/aedes-hooks.js';
import { SessionOwners } from './access/session-owners.js';
import { logBrokerEvents } from './broker-events.js';
import { ConnectRateLimiter } from './hardening/connect-rate-limiter.js';
import { LogThrottle } from './hardening/log-throttle.js';
import { type HealthServer, healthReport, startHealthServer } from './health.js';
import { type Listener, startListeners } from './listeners/listeners.js';
import { openStore } from './store/open-store.js';
import { orderEmits } from './store/ordered-emits.js';

export interface BrokerOptions {
  config: WattbusConfig;
  /** Where service accounts (WATTBUS_SERVICE_ACCOUNT_<NAME>) are read from. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export interface RunningBroker {
  aedes: Aedes;
  access: AccessControl;
  listeners: Listener[];
  health: HealthServer | undefined;
  /** The bound port of a listener (useful when configured as an ephemeral port), or undefined when it is off. */
  portOf(name: Listener['name'] | 'health'): number | undefined;
  close(): Promise<void>;
}

/**
 * A broker id that sorts after the ids of earlier runs. aedes-persistence-level keys a persistent session's queue
 * by broker id and then a per-run counter, so with random ids the messages queued before a restart would be
 * replayed in random order relative to those queued after it. The random part keeps cluster instances apart.
 */
export function brokerId(now = Date.now()): string {
  return `${now.toString(36).padStart(10, '0')}-${randomUUID()}`;
}

/** aedes' limits from [broker]; docs/broker.md explains each. */
export function aedesLimits(settings: WattbusConfig['broker']): AedesOptions {
  return {
    maxTopicLevels: settings.max_topic_levels,
    maximumPacketSize: settings.max_packet_size,
    keepaliveLimit: settings.keepalive_limit,
    drainTimeout: settings.drain_timeout * 1000,
    connectTimeout: settings.connect_timeout * 1000,
    sessionExpiryIntervalLimit: settings.session_expiry_limit,
    pendingSessionsLimit: settings.pending_sessions_limit,
  };
}

/**
 * The embedded broker: aedes (MQTT 5 and 3.1.1) on TCP, WebSocket and TLS, with users and access rules, the
 * hardening limits, a store that survives restarts (or Redis in cluster mode) and an HTTP health endpoint.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { config, logger } = options;
  const settings = config.broker;
  const access = new AccessControl({
    settings,
    roots: { base: config.mqtt.base_topic, discovery: config.homeassistant.prefix },
    pluginIds: Object.keys(config.plugins),
    env: options.env,
    logger,
  });
  const store = await openStore(settings, logger);
  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker({
      id: brokerId(),
      ...aedesLimits(settings),
      mq: store.mq,
      ...(store.persistence ? { persistence: store.persistence } : {}),
    });
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  // With the on-disk store the owners of stored sessions are kept next to the sessions; otherwise in memory.
  const sessions = new SessionOwners(
    settings.store === 'level' ? join(settings.data_dir, 'session-owners.json') : undefined,
    logger,
  );
  installAccessHooks(aedes, { access, logger, keepaliveLimit: settings.keepalive_limit, sessions });
  // Before any client connects: without it aedes loses messages overtaken by later ones (see ordered-emits.ts).
  orderEmits(aedes, 2000, (waitedMs) =>
    logger.warn(
      { waitedMs },
      'a publish waited too long for the store; delivering later messages without it',
    ),
  );
  logBrokerEvents(aedes, logger, settings);

  const limiter = new ConnectRateLimiter(settings.connect_rate_limit, settings.connect_rate_burst);
  const throttle = new LogThrottle();
  const admit = (address: string | undefined, listener: string) => {
    if (limiter.admit(address)) return true;
    throttle.run(`rate:${address}`, (suppressed) =>
      logger.warn(
        { address, listener, suppressed: suppressed || undefined },
        `refused connection: more than ${settings.connect_rate_limit}/s from one address ([broker] connect_rate_limit)`,
      ),
    );
    return false;
  };

  let listeners: Listener[] = [];
  let health: HealthServer | undefined;
  const started = Date.now();
  try {
    listeners = await startListeners(aedes, settings, admit);
    if (settings.health_port !== 0) {
      health = await startHealthServer(settings, () => healthReport(aedes, store, listeners, started));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await store.close().catch(() => {});
    throw error;
  }
  access.watch();
  for (const listener of listeners) {
    logger.info(
      { listener: listener.name, host: listener.host, port: listener.port },
      'MQTT broker listening',
    );
  }
  if (health) logger.info({ host: health.host, port: health.port }, 'health endpoint at GET /health');
  logger.info({ store: store.kind, id: aedes.id }, 'broker started');

  let closing: Promise<void> | undefined;
  return {
    aedes,
    access,
    listeners,
    health,
    portOf: (name) => (name === 'health' ? health?.port : listeners.find((l) => l.name === name)?.port),
    close() {
      closing ??= (async () => {
        access.unwatch();
        // Stop accepting first; server.close() resolves only once aedes has closed the open connections.
        const serversClosed = Promise.all([
          ...listeners.map((listener) => listener.close()),
          health?.close(),
        ]);
        // With the store unreachable (Redis down) nothing can be flushed, so do not wait long for it.
        const timeout = store.healthy() ? CLOSE_TIMEOUT_MS : 300;
        const aedesClosed = new Promise<void>((resolve) => aedes.close(() => resolve()));
        if (!(await settlesWithin(aedesClosed, timeout))) {
          logger.warn({ store: store.kind }, 'the store did not close in time (unreachable?); dropping it');
          store.abort();
          await settlesWithin(aedesClosed, timeout);
        }
        await serversClosed;
        // Messages acknowledged just before the stop, and the wills of the clients just disconnected, are still
        // being written; let them land before closing the store.
        if (store.healthy()) await store.settled();
        if (!(await settlesWithin(store.close(), timeout))) store.abort();
      })();
      return closing;
    },
  };
}

/** How long each closing step may take: runService gives a stop 10 s before it exits the process anyway. */
const CLOSE_TIMEOUT_MS = 3000;

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}
