import { describe, expect, it } from 'vitest';
import { decodeDeviceId, deviceIdLength, encodeDeviceId, isWellFormedText } from './device-id.js';

describe('DeviceID topic encoding', () => {
  it.each([
    ['0001A002', '0001A002'],
    ['kitchen plug', 'kitchen plug'],
    ['a/b', 'a%2Fb'],
    ['+#', '%2B%23'],
    ['100%', '100%25'],
    ['tab\there', 'tab%09here'],
    ['\u0000', '%00'],
    ['\u007f\u0085', '%7F%C2%85'],
    ['café ⚡', 'café ⚡'],
    ['', '%'],
  ])('encodes %j as %j and back', (deviceId, level) => {
    expect(encodeDeviceId(deviceId)).toBe(level);
    expect(decodeDeviceId(level)).toBe(deviceId);
  });

  it('never produces a level with a topic separator, wildcard or control character', () => {
    for (let code = 0; code < 0x250; code++) {
      const id = `x${String.fromCharCode(code)}y`;
      const level = encodeDeviceId(id);
      expect(level).not.toMatch(/[/+#\u0000-\u001f\u007f-\u009f]/);
      expect(decodeDeviceId(level)).toBe(id);
    }
  });

  it.each([['a/b'], ['%2f'], ['%zz'], ['%2'], ['a%'], ['%%'], ['x\u0001']])(
    'rejects the non-canonical level %j',
    (level) => {
      expect(decodeDeviceId(level)).toBeUndefined();
    },
  );

  it('counts length in characters, as the 25-character limit is meant', () => {
    expect(deviceIdLength('⚡'.repeat(25))).toBe(25);
    expect(deviceIdLength('😀')).toBe(1);
  });

  it('detects lone surrogates, which cannot be stored as UTF-8', () => {
    expect(isWellFormedText('ok 😀')).toBe(true);
    expect(isWellFormedText('bad \ud800')).toBe(false);
    expect(isWellFormedText('bad \udc00 x')).toBe(false);
  });
});
