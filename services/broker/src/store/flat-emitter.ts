/**
 * mqemitter 7 (aedes' message router) can overflow the stack and crash the broker: once more messages are waiting
 * than its concurrency allows, each finished delivery starts the next queued one synchronously, and a message with
 * no subscriber left finishes synchronously too. A backlog built up by a slow subscriber, followed by that
 * subscriber leaving, then recurses once per queued message ("Maximum call stack size exceeded"). The broker
 * benchmark triggered it with ten QoS 0 publishers and one subscriber.
 *
 * This wraps an emitter's `_do` so that past a small depth the next queued message starts on a fresh stack
 * (setImmediate), keeping its slot reserved so later messages cannot overtake it.
 */
interface Emitter {
  current: number;
  _do(message: unknown, callback: unknown): unknown;
}

const MAX_DEPTH = 64;

export function flattenEmitter<T>(mq: T): T {
  const emitter = mq as unknown as Emitter;
  const original = emitter._do;
  let depth = 0;
  emitter._do = function flatDo(this: Emitter, message, callback) {
    if (depth >= MAX_DEPTH) {
      // _do counts the message as running; reserve the slot now so newer emits queue behind this one.
      this.current++;
      setImmediate(() => {
        this.current--;
        flatDo.call(this, message, callback);
      });
      return this;
    }
    depth++;
    try {
      return original.call(this, message, callback);
    } finally {
      depth--;
    }
  };
  return mq;
}
