import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-format.js';

describe('formatLogLine', () => {
  it('turns pino JSON into a readable line and leaves other text alone', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-01-02T03:04:05.678Z',
      service: 's',
      msg: 'hello',
      port: 1883,
    });
    expect(formatLogLine(line)).toBe('03:04:05 WARN  hello port=1883');
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{not json')).toBe('{not json');
  });
});
