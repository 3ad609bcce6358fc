import type { Aedes } from 'aedes';
import { deliverOvertaken } from './overtaken-delivery.js';

/**
 * Works around message loss in aedes: a client drops any message whose broker counter is lower than the highest
 * it has already been sent (lib/client.js `dedupe`, meant to suppress the second copy that overlapping
 * subscriptions produce). Counters are assigned when a publish starts, but a retained message is emitted only after
 * its store write, and a QoS 1 message only after the offline-queue lookup. A later message can therefore overtake
 * an earlier one, and the earlier one is silently lost to every client subscribed to both topics. With the
 * on-disk store this lost most retained state updates (a plugin's `online` followed by its lifecycle notice, a
 * unit's state followed by an event).
 *
 * The gate releases emits in the order the publishes started. Store work still runs concurrently; only delivery
 * waits. A publish that never reaches its emit (its pipeline failed) is dropped from the order when it completes,
 * and one that takes longer than `maxWaitMs` stops holding up the others, so a stalled store cannot freeze
 * delivery; when it does finish, it is delivered late rather than lost (overtaken-delivery.ts).
 */
export interface EmitGate {
  /** Publishes whose emit is still held or awaited. */
  pending(): number;
}

type EmitCallback = (error?: Error) => void;
interface Emitter {
  emit(packet: { brokerId?: string; brokerCounter?: number }, callback?: EmitCallback): void;
}
type PublishFunction = (
  packet: { brokerCounter?: number },
  client: unknown,
  done?: (error?: Error) => void,
) => void;

interface Slot {
  counter: number;
  startedAt: number;
  release?: () => void;
}

export function orderEmits(aedes: Aedes, maxWaitMs = 2000, onStall?: (waitedMs: number) => void): EmitGate {
  const broker = aedes as unknown as { id: string; counter: number; mq: Emitter; publish: PublishFunction };
  const mq = broker.mq;
  const emit = mq.emit.bind(mq);
  const publish = broker.publish.bind(aedes) as PublishFunction;
  const order: Slot[] = [];
  const byCounter = new Map<number, Slot>();
  const late = deliverOvertaken(aedes);
  let timer: NodeJS.Timeout | undefined;

  const forget = (slot: Slot) => {
    byCounter.delete(slot.counter);
    const index = order.indexOf(slot);
    if (index >= 0) order.splice(index, 1);
  };

  const flush = () => {
    while (order.length > 0) {
      const head = order[0]!;
      if (head.release) {
        forget(head);
        head.release();
        continue;
      }
      const waited = Date.now() - head.startedAt;
      if (waited < maxWaitMs) break;
      // The head is stuck (a store write that does not finish): stop ordering against it.
      onStall?.(waited);
      forget(head);
      late.overtaken(head.counter);
    }
    clearTimeout(timer);
    timer = order.length > 0 ? setTimeout(flush, maxWaitMs) : undefined;
    timer?.unref();
  };

  mq.emit = (packet, callback) => {
    const slot = packet.brokerId === broker.id ? byCounter.get(packet.brokerCounter ?? -1) : undefined;
    if (!slot) return emit(packet, callback);
    slot.release = () => emit(packet, callback);
    flush();
  };

  broker.publish = (packet, client, done) => {
    // A packet that already carries a counter (forwarded from the store) keeps it; only new ones are ordered.
    if (typeof client === 'function' || packet.brokerCounter) return publish(packet, client, done);
    // Fast path, most of the traffic: a QoS 0 message that is not retained is emitted synchronously inside
    // publish(), so with nothing ahead of it in the order there is nothing to wait for or to hold back.
    if (order.length === 0 && !(packet as { retain?: boolean }).retain && !(packet as { qos?: number }).qos) {
      return publish(packet, client, done);
    }
    const before = broker.counter;
    let slot: Slot | undefined;
    const finished = (error?: Error) => {
      if (slot && !slot.release) {
        forget(slot);
        flush();
      }
      if (slot) late.settled(slot.counter);
      done?.(error);
    };
    // aedes assigns the counter synchronously at the start of publish(); register the slot right after.
    const counter = before + 1;
    slot = { counter, startedAt: Date.now() };
    order.push(slot);
    byCounter.set(counter, slot);
    publish(packet, client, finished);
    if (broker.counter === before) {
      // Rejected before a counter was assigned (e.g. too many topic levels): nothing to wait for.
      forget(slot);
      flush();
    }
  };

  return { pending: () => order.length };
}
