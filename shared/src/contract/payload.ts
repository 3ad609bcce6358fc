import type { z } from 'zod';
import type { PayloadOf, TopicDefinition } from './topics.js';

/** Payloads above this size are refused before parsing: no wattbus message comes close. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * JSON nested deeper than this is refused before parsing. No wattbus message comes close (bridge/devices, the
 * deepest, has about 7 levels), and zod validates recursive values (a plugin's configuration) by recursion: a
 * payload of a few thousand nested brackets would overflow the stack and surface as an "internal error" instead
 * of a clear refusal.
 */
export const MAX_JSON_DEPTH = 64;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** True when `text` opens more than `limit` arrays or objects inside each other (strings are skipped). */
export function jsonNestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One line per problem, each naming the field: `unit: must be between 1 and 255`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validates and serialises a payload for a topic. Throws on an invalid payload: that is a bug in the publisher. */
export function encodePayload<T extends TopicDefinition>(definition: T, value: PayloadOf<T>): string {
  const checked = definition.schema.safeParse(value);
  if (!checked.success)
    throw new TypeError(`invalid ${definition.pattern} payload: ${describeZodError(checked.error)}`);
  return definition.codec === 'json' ? JSON.stringify(value) : String(value);
}

/** Reads and validates an inbound payload. Never throws: the error says what was wrong, for a response or a log. */
export function decodePayload<T extends TopicDefinition>(
  definition: T,
  payload: Buffer | Uint8Array | string,
): Decoded<PayloadOf<T>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES)
    return { ok: false, error: `payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES}` };
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return { ok: false, error: 'payload is not valid UTF-8' };
  }
  if (definition.codec === 'json' && jsonNestedDeeperThan(text, MAX_JSON_DEPTH))
    return { ok: false, error: `payload is nested more than ${MAX_JSON_DEPTH} levels deep` };
  let raw: unknown = text;
  try {
    if (definition.codec === 'json') raw = JSON.parse(text);
    else if (definition.read) raw = definition.read(text);
  } catch (error) {
    return { ok: false, error: `payload is not valid JSON: ${(error as Error).message}` };
  }
  const parsed = definition.schema.safeParse(raw);
  return parsed.success
    ? { ok: true, value: parsed.data as PayloadOf<T> }
    : { ok: false, error: describeZodError(parsed.error) };
}
