import { methodCache } from './method-cache.js';

/**
 * Wraps an aedes persistence so the broker knows when store operations are still running. A QoS 1 message is
 * acknowledged before it is written to the queues of offline sessions (aedes routes after the PUBACK, as Mosquitto
 * does), so a clean stop waits for the store to go quiet instead of closing it under a write.
 */
export interface TrackedPersistence<T extends object> {
  persistence: T;
  /** Resolves once no operation has been running for `quietMs`, or after `timeoutMs` at the latest. */
  settled(quietMs?: number, timeoutMs?: number): Promise<void>;
  pending(): number;
}

const UNTRACKED = new Set<PropertyKey>(['constructor', 'setup', 'destroy']);

export function trackWrites<T extends object>(persistence: T): TrackedPersistence<T> {
  let pending = 0;
  let lastActivity = Date.now();
  const done = () => {
    pending--;
    lastActivity = Date.now();
  };
  const wrapped = methodCache();
  const proxy = new Proxy(persistence, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      // setup() must stay an AsyncFunction (aedes checks), and neither it nor destroy() is a write to wait for.
      if (typeof value !== 'function' || UNTRACKED.has(property)) return value;
      return wrapped(
        property,
        value,
        () =>
          function tracked(this: unknown, ...args: unknown[]) {
            const result = value.apply(this === receiver ? target : this, args);
            if (result && typeof (result as Promise<unknown>).then === 'function') {
              pending++;
              lastActivity = Date.now();
              (result as Promise<unknown>).then(done, done);
            }
            return result;
          },
      );
    },
  });
  return {
    persistence: proxy,
    pending: () => pending,
    async settled(quietMs = 50, timeoutMs = 1000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pending === 0 && Date.now() - lastActivity >= quietMs) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs, 20)));
      }
    },
  };
}
