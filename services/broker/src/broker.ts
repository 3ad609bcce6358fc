import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Logger, WattbusConfig } from '@wattbus/shared';
import { Aedes } from 'aedes';
import persistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';

export interface RunningBroker {
  aedes: Aedes;
  port: number;
  close(): Promise<void>;
}

/** Starts aedes on TCP with an on-disk store, so retained messages and sessions survive a restart. */
export async function startBroker(settings: WattbusConfig['broker'], logger: Logger): Promise<RunningBroker> {
  mkdirSync(settings.data_dir, { recursive: true });
  const db = new Level(`${settings.data_dir}/store`);
  const aedes = await Aedes.createBroker({ persistence: persistenceLevel(db) });
  aedes.authenticate = (client, username, _password, done) => {
    if (settings.allow_anonymous) return done(null, true);
    logger.warn({ clientId: client.id, username }, 'refused client: anonymous access is off');
    const error = Object.assign(new Error('not authorized'), { returnCode: 5 as const });
    done(error, false);
  };
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  logger.info({ host: settings.host, port }, 'MQTT broker listening');
  return {
    aedes,
    port,
    async close() {
      // aedes first: it disconnects the clients, which server.close() would otherwise wait for.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
