import { describe, expect, it } from 'vitest';
import { brokerId } from './broker.js';

describe('brokerId', () => {
  it('sorts the ids of later runs after earlier ones, and never repeats', () => {
    const earlier = brokerId(Date.UTC(2026, 0, 1));
    const later = brokerId(Date.UTC(2026, 0, 1, 0, 0, 1));
    expect(earlier < later).toBe(true);
    expect(brokerId(Date.UTC(2099, 0, 1)) > later).toBe(true);
    expect(brokerId(0)).not.toBe(brokerId(0));
    // Used in $SYS/<id>/heartbeat: no topic separators or wildcards.
    expect(later).toMatch(/^[0-9a-z-]+$/);
  });
});
