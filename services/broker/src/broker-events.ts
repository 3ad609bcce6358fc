import type { Logger, WattbusConfig } from '@wattbus/shared';
import type { Aedes } from 'aedes';
import { addressOf, LOGGED } from './access/aedes-hooks.js';
import { LogThrottle } from './hardening/log-throttle.js';

/** Logs what an operator needs to know, throttled per address so a misbehaving client cannot flood the log. */
export function logBrokerEvents(aedes: Aedes, logger: Logger, settings: WattbusConfig['broker']): void {
  const throttle = new LogThrottle();
  const report = (kind: 'client' | 'connection', client: { id: string | null } & object, error: Error) => {
    if ((error as unknown as Record<symbol, unknown>)[LOGGED]) return;
    const address = addressOf(client as never);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || error.message === 'connection closed') {
      logger.debug({ clientId: client.id, address, err: error.message }, 'connection dropped');
      return;
    }
    let message =
      kind === 'client' ? 'client error; connection closed' : 'connection closed before it was established';
    let level: 'info' | 'warn' = 'info';
    if (error.message === 'drain timeout') {
      message = `subscriber did not read its messages for ${settings.drain_timeout} s ([broker] drain_timeout); disconnected so it cannot stall delivery to others`;
      level = 'warn';
    } else if (error.message === 'packet too large') {
      message = `refused a packet larger than ${settings.max_packet_size} bytes ([broker] max_packet_size); connection closed`;
      level = 'warn';
    } else if (error.message === 'topic has too many levels') {
      message = `refused a topic with more than ${settings.max_topic_levels} levels ([broker] max_topic_levels); connection closed`;
      level = 'warn';
    }
    throttle.run(`${kind}:${address}:${message}`, (suppressed) =>
      logger[level](
        {
          clientId: client.id ?? undefined,
          address,
          err: error.message,
          suppressed: suppressed || undefined,
        },
        message,
      ),
    );
  };
  aedes.on('clientError', (client, error) => report('client', client, error));
  aedes.on('connectionError', (client, error) => report('connection', client, error));
  aedes.on('keepaliveTimeout', (client) =>
    logger.info(
      { clientId: client.id, address: addressOf(client) },
      'client keepalive expired; connection closed',
    ),
  );
  aedes.on('sessionLimitReached', (client, info) =>
    logger.warn(
      { clientId: client.id, reason: info.reason, limit: info.limit },
      'too many waiting sessions ([broker] pending_sessions_limit): this one was ended at once',
    ),
  );
  // A store failure is emitted as 'error'; without a listener the process would die on the first one.
  (aedes as unknown as NodeJS.EventEmitter).on('error', (error: Error) =>
    logger.error({ err: error }, 'broker error (store)'),
  );
}
