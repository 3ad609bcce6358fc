/**
 * mqemitter 7 (aedes' message router) can overflow the stack and crash the broker: once more messages are waiting
 * than its concurrency allows, each finished delivery starts the next queued one synchronously, and a message with
 * no subscriber left finishes synchronously too. A backlog built up by a slow subscriber, followed by that
 * subscriber leaving, then recurses once per queued message ("Maximum call stack size exceeded"). The broker
 * benchmark triggered it with ten QoS 0 publishers and one subscriber.
 *
 * This wraps an emitter's `_do` so that past a small depth the next message starts on a fresh stack (setImmediate).
 * It must not be overtaken meanwhile: aedes drops a message that reaches a client after one with a higher broker
 * counter (its per-client dedupe), so a message delivered out of order is lost to every client that gets both. A
 * retained message with no subscriber finishes synchronously, so a registry publishing unit states nobody listens
 * to built such chains, and requests and answers were lost. So the deferred message goes back to the front of the
 * queue with its slot reserved, and while anything waits in the queue, new emits queue behind it.
 */
interface Emitter {
  current: number;
  _messageQueue: unknown[];
  _messageCallbacks: unknown[];
  _released(): void;
  _do(message: unknown, callback: unknown): unknown;
  emit(message: unknown, callback?: unknown): unknown;
  /** mqemitter-redis: its `emit` publishes to Redis, and this (mqemitter's own emit) delivers here. */
  _emit?(message: unknown, callback?: unknown): unknown;
}

const MAX_DEPTH = 64;

export function flattenEmitter<T>(mq: T): T {
  const emitter = mq as unknown as Emitter;
  const original = emitter._do;
  const local = typeof emitter._emit === 'function' ? '_emit' : 'emit';
  const emit = emitter[local]!;
  let depth = 0;
  emitter._do = function flatDo(this: Emitter, message, callback) {
    if (depth >= MAX_DEPTH) {
      // Reserve the slot that `_do` would have taken, so that emits meanwhile see the emitter busy; the next
      // release (ours below, or an earlier one from another finished delivery) starts this message first.
      this.current++;
      this._messageQueue.unshift(message);
      this._messageCallbacks.unshift(callback);
      setImmediate(() => this._released());
      return this;
    }
    depth++;
    try {
      return original.call(this, message, callback);
    } finally {
      depth--;
    }
  };
  emitter[local] = function orderedEmit(this: Emitter, message: unknown, callback?: unknown) {
    // mqemitter starts a new message whenever a slot is free, even with others queued: keep first-in, first-out.
    if (this._messageQueue.length > 0) {
      this._messageQueue.push(message);
      this._messageCallbacks.push(callback ?? noop);
      return this;
    }
    return emit.call(this, message, callback);
  };
  return mq;
}

function noop(): void {}
