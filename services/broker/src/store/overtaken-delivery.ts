import type { Aedes } from 'aedes';

/**
 * Lets a message through that later messages have overtaken (see ordered-emits.ts: a publish whose store work took
 * longer than the gate waits). aedes drops, per client, every message whose broker counter is not above the highest
 * it has already sent that client (lib/client.js `dedupe`, meant for the second copy that overlapping subscriptions
 * produce), so without this the late message would reach nobody who got one of the later ones.
 *
 * Just before the router hands such a message to its subscribers, each client's high-water mark is lowered below
 * the message's counter. The router calls every subscriber of one message synchronously and aedes checks `dedupe`
 * before anything asynchronous, so the first copy to each client passes and any second copy is still dropped;
 * messages already sent are not routed again, and later ones have higher counters, so nothing is duplicated.
 */
export interface OvertakenDelivery {
  /** This publish of ours (by its broker counter) has been overtaken: let it through when it is routed. */
  overtaken(counter: number): void;
  /** The publish has finished (routed or failed): stop watching for it. */
  settled(counter: number): void;
}

type Parallel = (that: unknown, handlers: unknown, message: unknown, callback: unknown) => unknown;
interface Router {
  _parallel: Parallel;
}
interface Routed {
  brokerId?: string;
  brokerCounter?: number;
}
interface DedupingClient {
  duplicates: Record<string, number>;
}

/** Stuck publishes that never finish each leave their counter behind; past this many, the oldest are let go. */
const MAX_WATCHED = 10_000;

export function deliverOvertaken(aedes: Aedes): OvertakenDelivery {
  const broker = aedes as unknown as { id: string; mq: Router; clients: Record<string, DedupingClient> };
  const router = broker.mq;
  const parallel = router._parallel;
  const watched = new Set<number>();

  router._parallel = function routeOvertaken(this: unknown, that, handlers, message, callback) {
    const routed = message as Routed;
    const counter = routed.brokerCounter;
    if (
      watched.size > 0 &&
      routed.brokerId === broker.id &&
      counter !== undefined &&
      watched.delete(counter)
    ) {
      for (const client of Object.values(broker.clients)) {
        if ((client.duplicates[broker.id] ?? 0) >= counter) client.duplicates[broker.id] = counter - 1;
      }
    }
    return parallel.call(this, that, handlers, message, callback);
  };

  return {
    overtaken(counter) {
      watched.add(counter);
      if (watched.size > MAX_WATCHED) watched.delete(watched.values().next().value!);
    },
    settled(counter) {
      watched.delete(counter);
    },
  };
}
