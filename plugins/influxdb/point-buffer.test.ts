import { describe, expect, it } from 'vitest';
import { PointBuffer } from './point-buffer.js';

describe('PointBuffer', () => {
  it('keeps points until a write confirms them', () => {
    const buffer = new PointBuffer(10);
    buffer.push(['a', 'b', 'c']);
    const batch = buffer.peek(2);
    expect(batch.lines).toEqual(['a', 'b']);
    expect(buffer.size).toBe(3);
    buffer.remove(batch);
    expect(buffer.peek(10).lines).toEqual(['c']);
  });

  it('drops the oldest points when full and counts them once for the log', () => {
    const buffer = new PointBuffer(3);
    expect(buffer.push(['a', 'b', 'c', 'd', 'e'])).toBe(2);
    expect(buffer.peek(10).lines).toEqual(['c', 'd', 'e']);
    expect(buffer.dropped).toBe(2);
    expect(buffer.takeUnreportedDrops()).toBe(2);
    expect(buffer.takeUnreportedDrops()).toBe(0);
  });

  it('removes only what is left of a batch that overflow partly pushed out during the write', () => {
    const buffer = new PointBuffer(4);
    buffer.push(['a', 'b', 'c', 'd']);
    const batch = buffer.peek(3);
    buffer.push(['e', 'f']);
    buffer.remove(batch);
    expect(buffer.peek(10).lines).toEqual(['d', 'e', 'f']);
    // identical lines are told apart by position, not by text
    const same = new PointBuffer(5);
    same.push(['x', 'x', 'x']);
    same.remove(same.peek(2));
    expect(same.size).toBe(1);
  });

  it('counts a refused batch as dropped', () => {
    const buffer = new PointBuffer(5);
    buffer.push(['a', 'b', 'c']);
    buffer.discard(buffer.peek(2));
    expect(buffer.peek(5).lines).toEqual(['c']);
    expect(buffer.dropped).toBe(2);
  });
});
