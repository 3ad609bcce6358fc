import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrokerSection, Logger } from '@wattbus/shared';
import { ConfigError } from '@wattbus/shared/config/errors.js';
import { makeDirectory } from '@wattbus/shared/fs/make-directory.js';
import persistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import mqemitter from 'mqemitter';
import { LogThrottle } from '../hardening/log-throttle.js';
import { answerCleanSessionAcks } from './clean-session-acks.js';
import { flattenEmitter } from './flat-emitter.js';
import { levelRetainedBatch } from './level-retained-batch.js';
import { redactedUrl, redisOptions } from './redis-url.js';
import { cacheRetained } from './retained-cache.js';
import { trackWrites } from './write-tracker.js';

/** Where retained messages, sessions and wills live, and (in cluster mode) how messages reach other instances. */
const require = createRequire(import.meta.url);

export interface BrokerStore {
  kind: BrokerSection['store'];
  /** An aedes persistence; undefined means aedes' own in-memory one. */
  persistence: unknown;
  /** The message router: in-process, or shared through Redis in cluster mode. */
  mq: unknown;
  /** Resolves once no store operation is running (bounded), so closing does not cut a write short. */
  settled(): Promise<void>;
  /** False while the backing store cannot be reached. */
  healthy(): boolean;
  /** Closes the store; call after aedes has closed, so nothing writes to it any more. */
  close(): Promise<void>;
  /** Drops the store's connections at once, when a clean close cannot finish (Redis unreachable). */
  abort(): void;
}

interface Destroyable {
  destroy(): Promise<void>;
}

interface RedisConnection extends NodeJS.EventEmitter {
  status: string;
  disconnect(): void;
}

/** Deliveries in progress at once; aedes' default. */
const CONCURRENCY = 100;

/** aedes' own router, made here so it can be flattened (see flat-emitter.ts). */
function localEmitter() {
  // matchEmptyLevels: `a/#` also matches `a` [MQTT-4.7.1-3], as aedes configures its default emitter.
  return flattenEmitter(mqemitter({ concurrency: CONCURRENCY, matchEmptyLevels: true }));
}

export async function openStore(settings: BrokerSection, logger: Logger): Promise<BrokerStore> {
  switch (settings.store) {
    case 'memory':
      logger.warn('store = "memory": retained messages and sessions are lost when the broker stops');
      return {
        kind: 'memory',
        persistence: undefined,
        mq: localEmitter(),
        healthy: () => true,
        settled: async () => {},
        close: async () => {},
        abort: () => {},
      };
    case 'level':
      return await openLevel(settings, logger);
    case 'redis':
      return await openRedis(settings, logger);
  }
}

async function openLevel(settings: BrokerSection, logger: Logger): Promise<BrokerStore> {
  const path = join(settings.data_dir, 'store');
  const db = new Level(path);
  try {
    makeDirectory(settings.data_dir);
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    const hint = /lock/i.test(cause) ? ' (is another broker using this data directory?)' : '';
    throw new ConfigError([`[broker] data_dir: cannot open the store in ${path}: ${cause}${hint}`]);
  }
  const throttle = new LogThrottle(1, 30_000);
  const retained = cacheRetained(
    persistenceLevel(db) as Destroyable,
    (error, topic) =>
      throttle.run('retained', (suppressed) =>
        logger.error(
          { err: error.message, topic, suppressed: suppressed || undefined },
          'could not write a retained message to the store; it was delivered, but a broker restart will lose it',
        ),
      ),
    levelRetainedBatch(db),
  );
  const tracked = trackWrites(answerCleanSessionAcks(retained.persistence));
  const persistence = tracked.persistence;
  return {
    kind: 'level',
    persistence,
    mq: localEmitter(),
    healthy: () => db.status === 'open',
    settled: async () => {
      await tracked.settled();
      // Bounded like tracked.settled(): closing then writes whatever is left (destroy() flushes first).
      await Promise.race([retained.flush(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
    close: () => persistence.destroy(),
    abort: () => {},
  };
}

async function openRedis(settings: BrokerSection, logger: Logger): Promise<BrokerStore> {
  // Loaded only in cluster mode: the Redis clients cost some 20 MiB of memory that a single Pi broker does not need.
  const [{ default: persistenceRedis }, { default: mqemitterRedis }] = await Promise.all([
    import('aedes-persistence-redis'),
    import('mqemitter-redis'),
  ]);
  const options = redisOptions(settings.redis_url);
  // ioredis reports every failed reconnect attempt; one line per window is enough to say Redis is gone.
  const throttle = new LogThrottle(1, 30_000);
  const onError = (error: Error) =>
    throttle.run('redis', (suppressed) =>
      logger.warn(
        { err: error.message, url: redactedUrl(settings.redis_url), suppressed: suppressed || undefined },
        'Redis connection error; retrying',
      ),
    );
  // Both the emitter and the persistence are needed: with a shared persistence alone, a message published on one
  // instance would never reach subscribers connected to another (aedes#531).
  const mq = flattenEmitter(
    mqemitterRedis({ ...options, concurrency: CONCURRENCY, matchEmptyLevels: true }),
  ) as unknown as {
    pubConn: RedisConnection;
    subConn: RedisConnection;
    /** Where mqemitter-redis re-emits connection errors; without a listener they would end the process. */
    state: NodeJS.EventEmitter;
  };
  mq.state.on('error', onError);
  // Our own connection for the persistence, so its errors are logged here instead of printed by ioredis as
  // "Unhandled error event" on every reconnect attempt. It comes from the persistence's own ioredis (5.x), whatever
  // version the top level has.
  const RedisForPersistence = createRequire(require.resolve('aedes-persistence-redis'))('ioredis') as new (
    options: object,
  ) => RedisConnection;
  const connection = new RedisForPersistence(options);
  connection.on('error', onError);
  const tracked = trackWrites(
    answerCleanSessionAcks(persistenceRedis({ conn: connection }) as unknown as Destroyable),
  );
  const persistence = tracked.persistence;
  return {
    kind: 'redis',
    persistence,
    mq,
    settled: () => tracked.settled(),
    healthy: () => [mq.pubConn, mq.subConn, connection].every((redis) => redis.status === 'ready'),
    close: () => persistence.destroy(),
    abort: () => {
      for (const redis of [mq.pubConn, mq.subConn, connection]) redis.disconnect();
    },
  };
}
