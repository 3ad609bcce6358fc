import {
  describeZodError,
  MAX_BATCHED_UPDATES,
  MAX_PAYLOAD_BYTES,
  type PluginRequest,
  type PluginRequestOp,
  type PluginResponseData,
  UnitUpdateRequest,
} from '@wattbus/shared';
import type { RequestFailure } from './bus-link.js';

/** What a forwarded request settles with: the response's data, or why it failed. */
export type Forwarded<T = unknown> = { data: T } | RequestFailure;

/** Sends one request to the registry (the bus link's forwarding, with its error handling). */
export type Forward = <Op extends PluginRequestOp>(
  op: Op,
  payload: PluginRequest<Op>,
) => Promise<Forwarded<PluginResponseData<Op>>>;

type UnitUpdate = PluginRequest<'unit/update'>;

interface Queued {
  payload: UnitUpdate;
  settle(result: Forwarded): void;
}

/**
 * A request must fit one message; JSON text of this many UTF-16 units is at most MAX_PAYLOAD_BYTES in UTF-8 (3
 * bytes per unit), with room left for the envelope.
 */
const BATCH_TEXT_BUDGET = Math.floor(MAX_PAYLOAD_BYTES / 3) - 1024;

/**
 * Collects the unit updates a plugin makes in one event-loop turn (a heartbeat that updates every meter) and sends
 * them as one `units/update` request of up to MAX_BATCHED_UPDATES, instead of one request and one answer per unit.
 * Each update still gets its own result, as if it had been sent alone. Requests keep their order: the bus link
 * flushes the queued updates before it sends any other request.
 */
export class UpdateBatcher {
  private queue: Queued[] = [];
  private queuedText = 0;
  private scheduled = false;

  constructor(private readonly forward: Forward) {}

  add(payload: UnitUpdate): Promise<Forwarded> {
    // Checked alone, so that one bad update is refused by itself instead of failing its whole batch.
    const checked = UnitUpdateRequest.safeParse(payload);
    if (!checked.success) {
      return Promise.resolve({ error: `unit/update: ${describeZodError(checked.error)}`, timedOut: false });
    }
    const size = JSON.stringify(payload).length;
    if (this.queuedText + size > BATCH_TEXT_BUDGET) this.flush();
    return new Promise((settle) => {
      this.queue.push({ payload, settle });
      this.queuedText += size;
      if (this.queue.length >= MAX_BATCHED_UPDATES) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedText = 0;
    if (batch.length === 1) {
      const [only] = batch;
      void this.forward('unit/update', only!.payload).then(only!.settle);
      return;
    }
    void this.forward('units/update', { updates: batch.map((queued) => queued.payload) }).then((answer) => {
      if (!('data' in answer)) {
        for (const queued of batch) queued.settle(answer);
        return;
      }
      batch.forEach((queued, index) => {
        void this.resultOf(queued.payload, answer.data.results[index]).then(queued.settle);
      });
    });
  }

  /** Fails the updates not sent yet (they are not sent at all), e.g. when the runner stops. */
  cancel(reason: string): void {
    const batch = this.queue;
    this.queue = [];
    this.queuedText = 0;
    for (const queued of batch) queued.settle({ error: `unit/update: ${reason}`, timedOut: false });
  }

  private async resultOf(
    payload: UnitUpdate,
    result: PluginResponseData<'units/update'>['results'][number] | undefined,
  ): Promise<Forwarded> {
    if (!result)
      return { error: 'unit/update: the registry answered fewer results than updates', timedOut: false };
    if ('error' in result) return { error: `unit/update: ${result.error}`, timedOut: false };
    if (result.unit) return { data: { unit: result.unit, changed: result.changed } };
    // The registry left the records out because the whole answer would not fit one message: fetch this one.
    const refreshed = await this.forward('unit/refresh', { deviceId: payload.deviceId, unit: payload.unit });
    if (!('data' in refreshed)) return refreshed;
    if (!refreshed.data.unit) {
      return { error: 'unit/update: the unit was deleted before its record could be read', timedOut: false };
    }
    return { data: { unit: refreshed.data.unit, changed: result.changed } };
  }
}
