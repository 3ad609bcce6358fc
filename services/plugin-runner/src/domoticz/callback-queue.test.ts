import { describe, expect, it } from 'vitest';
import { CallbackQueue } from './callback-queue.js';

describe('CallbackQueue', () => {
  it('runs callbacks one at a time in order, awaiting async ones, and goes on after an error', async () => {
    const errors: string[] = [];
    const queue = new CallbackQueue((name, error) => errors.push(`${name}: ${(error as Error).message}`));
    const events: string[] = [];
    let running = 0;
    const slow = (name: string, ms: number) => async () => {
      running++;
      expect(running).toBe(1);
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`${name} end`);
      running--;
    };
    queue.push('first', slow('first', 30));
    queue.push('failing', () => {
      throw new Error('boom');
    });
    queue.push('second', slow('second', 5));
    expect(events).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(queue.current?.name).toBe('first');
    await queue.idle();
    expect(events).toEqual(['first start', 'first end', 'second start', 'second end']);
    expect(errors).toEqual(['failing: boom']);
    expect(queue.current).toBeUndefined();
  });

  it('accepts nothing after close but still runs what was queued', async () => {
    const queue = new CallbackQueue(() => {});
    const ran: string[] = [];
    queue.push('before', () => ran.push('before'));
    queue.close();
    queue.push('after', () => ran.push('after'));
    await queue.idle();
    expect(ran).toEqual(['before']);
  });
});
