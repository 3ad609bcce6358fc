import { describe, expect, it } from 'vitest';
import { formatLine } from './line-protocol.js';

describe('formatLine', () => {
  it('writes measurement, sorted tags, fields and the millisecond time', () => {
    expect(
      formatLine({
        measurement: 'net',
        tags: { status: 'Producing', id: 'home' },
        fields: { power: -5.5, current: 1 },
        time: 1700000000123,
      }),
    ).toBe('net,id=home,status=Producing power=-5.5,current=1 1700000000123');
  });

  it('escapes spaces, commas and equals signs where line protocol needs it', () => {
    expect(
      formatLine({
        measurement: 'my load,x',
        tags: { id: 'Main house', 'a=b': 'c,d', status: 'No data' },
        fields: { 'pf x': 1 },
        time: 1,
      }),
    ).toBe('my\\ load\\,x,a\\=b=c\\,d,id=Main\\ house,status=No\\ data pf\\ x=1 1');
  });

  it('leaves out fields that are not finite and points without any field', () => {
    expect(formatLine({ measurement: 'm', tags: {}, fields: { a: Number.NaN, b: 2 }, time: 5 })).toBe(
      'm b=2 5',
    );
    expect(
      formatLine({ measurement: 'm', tags: {}, fields: { a: Number.POSITIVE_INFINITY }, time: 5 }),
    ).toBeUndefined();
  });
});
