import { methodCache } from './method-cache.js';

/**
 * Answers a PUBACK of a clean-session client without asking the store. aedes clears the acknowledged message from
 * the persistence for every PUBACK, which with LevelDB is a read on the thread pool (with Redis a round trip) for
 * each QoS 1 message delivered. A clean session (MQTT 3.1.1 clean flag, or MQTT 5 session expiry 0) never has
 * anything stored there: aedes writes a client's outgoing messages only when its session outlives the connection.
 * Every wattbus service connects with a clean session, and their request/response traffic is QoS 1, so this read
 * was a sixth of the broker's CPU under the load test.
 */
interface Client {
  clean?: boolean;
}

export function answerCleanSessionAcks<T extends object>(persistence: T): T {
  const wrapped = methodCache();
  return new Proxy(persistence, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      if (property !== 'outgoingClearMessageId') return wrapped(property, value, () => value.bind(object));
      return wrapped(property, value, () => (client: Client, packet: unknown, ...rest: unknown[]) => {
        if (client?.clean === true && rest.length === 0) return Promise.resolve(undefined);
        return value.call(object, client, packet, ...rest);
      });
    },
  });
}
