import { MAX_BATCHED_UPDATES, type UnitRecord } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { type Forward, UpdateBatcher } from './update-batcher.js';

const record = (unit: number, sValue: string) => ({ unit, sValue }) as unknown as UnitRecord;
const update = (unit: number, sValue = `${unit}`) => ({ deviceId: 'd', unit, changes: { sValue } });

/** A registry stand-in: records what was sent and answers as the registry would. */
function fakeRegistry(options: { slim?: boolean; fail?: string } = {}) {
  const sent: { op: string; payload: Record<string, unknown> }[] = [];
  const forward = (async (op: string, payload: Record<string, unknown>) => {
    sent.push({ op, payload });
    if (options.fail) return { error: options.fail, timedOut: true };
    if (op === 'unit/refresh')
      return { data: { unit: payload.unit === 99 ? null : record(payload.unit as number, 'refreshed') } };
    if (op === 'unit/update') return { data: { unit: record(payload.unit as number, 'one'), changed: true } };
    if (op === 'units/update') {
      const updates = payload.updates as ReturnType<typeof update>[];
      return {
        data: {
          results: updates.map((item) =>
            item.unit === 13
              ? { error: 'unit 13 does not exist' }
              : options.slim
                ? { changed: true }
                : { unit: record(item.unit, item.changes.sValue), changed: true },
          ),
        },
      };
    }
    return { data: {} };
  }) as Forward;
  return { sent, batcher: new UpdateBatcher(forward) };
}

describe('UpdateBatcher', () => {
  it('sends one turn of updates as one units/update and settles each with its own result', async () => {
    const { sent, batcher } = fakeRegistry();
    const results = await Promise.all([
      batcher.add(update(1)),
      batcher.add(update(13)),
      batcher.add(update(2)),
    ]);
    expect(sent.map((request) => request.op)).toEqual(['units/update']);
    expect(results).toEqual([
      { data: { unit: record(1, '1'), changed: true } },
      { error: 'unit/update: unit 13 does not exist', timedOut: false },
      { data: { unit: record(2, '2'), changed: true } },
    ]);
  });

  it('sends a lone update as unit/update, and splits at the most updates one request may carry', async () => {
    const { sent, batcher } = fakeRegistry();
    await batcher.add(update(1));
    await Promise.all(
      Array.from({ length: MAX_BATCHED_UPDATES + 1 }, (_, index) => batcher.add(update(index + 1))),
    );
    expect(
      sent.map((request) => [request.op, (request.payload.updates as unknown[] | undefined)?.length]),
    ).toEqual([
      ['unit/update', undefined],
      ['units/update', MAX_BATCHED_UPDATES],
      ['unit/update', undefined],
    ]);
  });

  it('keeps a batch under the size of one message', async () => {
    const { sent, batcher } = fakeRegistry();
    const big = 'x'.repeat(4000);
    await Promise.all(Array.from({ length: 40 }, (_, index) => batcher.add(update(index + 1, big))));
    expect(sent.length).toBeGreaterThan(1);
    for (const request of sent) expect(JSON.stringify(request.payload).length).toBeLessThan((256 * 1024) / 3);
  });

  it('refuses an invalid update alone, before anything is sent', async () => {
    const { sent, batcher } = fakeRegistry();
    const [bad, good] = await Promise.all([batcher.add({ ...update(1), unit: 0 }), batcher.add(update(2))]);
    expect(bad).toEqual({ error: expect.stringMatching(/^unit\/update: unit: /), timedOut: false });
    expect(good).toMatchObject({ data: { changed: true } });
    expect(sent.map((request) => request.op)).toEqual(['unit/update']);
  });

  it('fetches the records the registry left out of a large answer', async () => {
    const { sent, batcher } = fakeRegistry({ slim: true });
    const results = await Promise.all([batcher.add(update(1)), batcher.add(update(99))]);
    expect(results).toEqual([
      { data: { unit: record(1, 'refreshed'), changed: true } },
      { error: 'unit/update: the unit was deleted before its record could be read', timedOut: false },
    ]);
    expect(sent.map((request) => request.op)).toEqual(['units/update', 'unit/refresh', 'unit/refresh']);
  });

  it('fails every update of a batch that got no answer, and drops what was not sent on cancel', async () => {
    const failing = fakeRegistry({ fail: 'units/update: no response within 10000 ms' });
    const results = await Promise.all([failing.batcher.add(update(1)), failing.batcher.add(update(2))]);
    expect(results).toEqual([
      { error: 'units/update: no response within 10000 ms', timedOut: true },
      { error: 'units/update: no response within 10000 ms', timedOut: true },
    ]);
    const { sent, batcher } = fakeRegistry();
    const pending = batcher.add(update(1));
    batcher.cancel('the plugin runner is stopping');
    expect(await pending).toEqual({ error: 'unit/update: the plugin runner is stopping', timedOut: false });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
  });
});
