import type { Logger } from '@wattbus/shared';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import { LogThrottle } from '../hardening/log-throttle.js';
import type { AccessControl } from './access-control.js';
import type { AccessRules } from './rules.js';
import type { SessionOwners } from './session-owners.js';

/** MQTT 3.1.1 "identifier rejected", which Mosquitto also answers to a keepalive above its limit. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

/** Errors this module has logged already, so the broker's generic error logging skips them. */
export const LOGGED = Symbol('wattbus.logged');

/**
 * Control characters (C0, DEL, C1), which MQTT says topics should not contain and Mosquitto refuses; the contract's
 * DeviceID encoding escapes exactly these. (Ill-formed UTF-8 cannot be caught here: the packet decoder has already
 * turned it into U+FFFD, a valid character.)
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVALID_TOPIC_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export function addressOf(client: Client): string | undefined {
  const socket = client.req?.socket ?? (client.conn as { remoteAddress?: string });
  return socket?.remoteAddress;
}

function logged(message: string): Error {
  return Object.assign(new Error(message), { [LOGGED]: true });
}

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(logged(message), { returnCode }) as AuthenticateError;
}

export interface AccessHookOptions {
  access: AccessControl;
  logger: Logger;
  /** [broker] keepalive_limit in seconds; 0 means none. */
  keepaliveLimit: number;
  sessions: SessionOwners;
}

/** aedes' view of the CONNECT's session flags (set before authenticate is called). */
interface SessionFlags {
  /** The session ends with the connection. */
  clean: boolean;
  /** Clean Start (MQTT 5) or Clean Session (3.1.1): any stored session is discarded instead of resumed. */
  _cleanStart?: boolean;
}

/**
 * Connects aedes' hooks to the access rules: who may connect (with which will), publish and subscribe. Every
 * refusal is logged with its reason (throttled per client address), and MQTT 5 clients also get a reason code.
 */
export function installAccessHooks(aedes: Aedes, options: AccessHookOptions): void {
  const { access, logger, keepaliveLimit, sessions } = options;
  const rulesOf = new WeakMap<Client, AccessRules>();
  const usernameOf = new WeakMap<Client, string | undefined>();
  const willOf = new WeakMap<Client, { topic: string }>();
  const refusedKeepalive = new WeakMap<Client, number>();
  const connected = new Map<string, Client>();
  const throttle = new LogThrottle();

  const describe = (client: Client) => ({
    clientId: client.id,
    username: usernameOf.get(client),
    address: addressOf(client),
  });

  aedes.preConnect = (client, packet, callback) => {
    if (packet.will) willOf.set(client, packet.will);
    // aedes would refuse an MQTT 3.1.1 keepalive over the limit with return code 6, which 3.1.1 does not define;
    // let it through here and refuse it in authenticate with "identifier rejected", as Mosquitto does.
    if (
      keepaliveLimit > 0 &&
      (packet.protocolVersion ?? 4) < 5 &&
      (!packet.keepalive || packet.keepalive > keepaliveLimit)
    ) {
      refusedKeepalive.set(client, packet.keepalive ?? 0);
      packet.keepalive = keepaliveLimit;
    }
    callback(null, true);
  };

  aedes.authenticate = (client, username, password, done) => {
    const address = addressOf(client);
    const refuse = (reason: string, returnCode: number, level: 'warn' | 'info' = 'warn') => {
      throttle.run(`connect:${address}:${reason}`, (suppressed) =>
        logger[level](
          { clientId: client.id, username, address, suppressed: suppressed || undefined },
          `refused connection: ${reason}`,
        ),
      );
      done(refusal(reason, returnCode), false);
    };
    const keepalive = refusedKeepalive.get(client);
    if (keepalive !== undefined) {
      return refuse(
        `keepalive ${keepalive === 0 ? '0 (off)' : `${keepalive} s`} is not allowed: at most ${keepaliveLimit} s ([broker] keepalive_limit)`,
        IDENTIFIER_REJECTED,
        'info',
      );
    }
    access
      .authenticate(username, password, client.id)
      .then((verdict) => {
        if (!verdict.ok) return refuse(verdict.reason, verdict.returnCode);
        const will = willOf.get(client);
        // Wills are checked like publishes, and at once: a client must not leave a message it could not send.
        if (will && !verdict.rules.canPublish(will.topic)) {
          return refuse(
            `not allowed to publish its will to "${will.topic}" (${verdict.rules.source})`,
            NOT_AUTHORIZED,
          );
        }
        rulesOf.set(client, verdict.rules);
        usernameOf.set(client, verdict.username);
        const previous = connected.get(client.id);
        // A takeover closes the old connection and publishes its will (a service's retained `offline`): only the
        // same user may do that, or any plugin could knock the registry or another plugin's runner off the bus.
        if (previous && previous !== client && usernameOf.get(previous) !== verdict.username) {
          return refuse(
            `client id "${client.id}" is connected as another user; only that user may take it over`,
            NOT_AUTHORIZED,
          );
        }
        // The same for a stored session whose client is offline: only its owner may resume it. Starting clean
        // discards it (and its queue) instead, so a client id is never locked out for good.
        const flags = client as unknown as SessionFlags;
        const user = verdict.username ?? '';
        const owner = sessions.ownerOf(client.id);
        if (!flags._cleanStart && owner !== undefined && owner !== user) {
          return refuse(
            `client id "${client.id}" has a stored session of another user; only that user may resume it (connect with a clean session to start a new one)`,
            NOT_AUTHORIZED,
          );
        }
        if (flags.clean) sessions.release(client.id);
        else sessions.claim(client.id, user);
        if (previous && previous !== client) {
          logger.warn(
            { clientId: client.id, username, address, previousAddress: addressOf(previous) },
            'client id already connected: the new connection takes over its session and the old one is closed',
          );
        }
        logger.debug({ ...describe(client), rules: verdict.rules.source }, 'client authenticated');
        done(null, true);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, clientId: client.id, username }, 'authentication failed with an error');
        done(refusal('authentication failed', SERVER_UNAVAILABLE), false);
      });
  };

  aedes.authorizePublish = (client, packet, callback) => {
    if (INVALID_TOPIC_CHARACTERS.test(packet.topic)) {
      logDenied(client, 'publish', packet.topic, 'the topic has control characters');
      return callback(logged('topic has control characters'));
    }
    if (packet.topic.startsWith('$')) {
      logDenied(client, 'publish', packet.topic, 'topics starting with "$" belong to the broker');
      return callback(logged('topics starting with $ are reserved for the broker'));
    }
    // A stored will of a client whose broker died (cluster mode): it was checked when that client connected.
    if (!client) return callback(null);
    const rules = rulesOf.get(client);
    if (!rules?.canPublish(packet.topic)) {
      logDenied(client, 'publish', packet.topic, rules?.source ?? 'no rules');
      return callback(logged(`not authorized to publish to ${packet.topic}`));
    }
    callback(null);
  };

  aedes.authorizeSubscribe = (client, subscription, callback) => {
    if (INVALID_TOPIC_CHARACTERS.test(subscription.topic)) {
      logDenied(client, 'subscribe', subscription.topic, 'the filter has control characters');
      return callback(null, null);
    }
    const rules = rulesOf.get(client);
    if (!rules?.canSubscribe(subscription.topic)) {
      logDenied(client, 'subscribe', subscription.topic, rules?.source ?? 'no rules');
      return callback(null, null);
    }
    callback(null, subscription);
  };

  aedes.authorizeForward = (client, packet) => {
    const rules = rulesOf.get(client);
    if (rules?.hasDenyRules && !rules.canReceive(packet.topic)) return null;
    return packet;
  };

  aedes.on('client', (client) => connected.set(client.id, client));
  aedes.on('clientDisconnect', (client) => {
    if (connected.get(client.id) === client) connected.delete(client.id);
    logger.debug(describe(client), 'client disconnected');
  });

  function logDenied(client: Client | null, action: string, topic: string, rules: string): void {
    const who = client ? describe(client) : { clientId: undefined, username: undefined, address: undefined };
    throttle.run(`denied:${who.address}:${who.clientId}:${action}`, (suppressed) =>
      logger.warn(
        { ...who, topic, rules, suppressed: suppressed || undefined },
        `refused ${action}: not allowed by the access rules`,
      ),
    );
  }
}
