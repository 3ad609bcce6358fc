import type { z } from 'zod';
import type { PayloadOf, TopicDefinition } from './topics.js';

/** Payloads above this size are refused before parsing: no wattbus message comes close. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

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
