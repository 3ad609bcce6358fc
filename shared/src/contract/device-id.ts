/**
 * A Domoticz DeviceID may hold any character, but an MQTT topic level may not contain `/`, `+`, `#` or NUL,
 * and control characters make topics unreadable. DeviceIDs are therefore percent-encoded into one topic level.
 *
 * Rules (documented in docs/mqtt-api.md, stable because topics are a public contract):
 * - `%`, `/`, `+`, `#`, C0 controls (U+0000-U+001F), DEL and C1 controls (U+007F-U+009F) become `%XX` of their
 *   UTF-8 bytes, upper-case hex.
 * - Every other character is kept as is, so ordinary ids such as `0001A002` or `kitchen plug` read naturally.
 * - The empty DeviceID becomes a lone `%`, which no other encoding can produce (every other `%` is followed by two
 *   hex digits), so a topic level is never empty.
 */

export const MAX_DEVICE_ID_LENGTH = 25;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const MUST_ESCAPE = /[%/+#\u0000-\u001f\u007f-\u009f]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: an encoded level must not contain raw control characters
const ENCODED = /^(?:[^%/+#\u0000-\u001f\u007f-\u009f]|%[0-9A-F]{2})+$/u;
const EMPTY_DEVICE_ID_LEVEL = '%';

function percentEncode(character: string): string {
  return [...Buffer.from(character, 'utf8')]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

export function encodeDeviceId(deviceId: string): string {
  if (deviceId === '') return EMPTY_DEVICE_ID_LEVEL;
  return deviceId.replace(MUST_ESCAPE, percentEncode);
}

/** Returns the DeviceID a topic level stands for, or `undefined` when the level is not a valid encoding. */
export function decodeDeviceId(level: string): string | undefined {
  if (level === EMPTY_DEVICE_ID_LEVEL) return '';
  if (!ENCODED.test(level)) return undefined;
  try {
    const decoded = decodeURIComponent(level);
    // Only the canonical encoding is accepted, so each DeviceID has exactly one topic.
    return encodeDeviceId(decoded) === level ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/** Length in characters (code points), which is how Domoticz's Varchar(25) limit is applied. */
export function deviceIdLength(deviceId: string): number {
  return [...deviceId].length;
}

/** A string is storable when it is valid Unicode: lone surrogates cannot be written as UTF-8. */
export function isWellFormedText(text: string): boolean {
  return !/\p{Surrogate}/u.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}
