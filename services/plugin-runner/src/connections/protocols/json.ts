import { type Codec, isPlainObject, MAX_FRAME_BYTES, toBytes } from './codec.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Protocol "JSON": one message per complete JSON object or array in the stream, however the peer splits or joins
 * them (back to back, newline-separated, across packets). Messages are the value's bytes, as in Domoticz; parse
 * them with `JSON.parse(data.toString())`. Sending an object sends its JSON text.
 */
export class JsonCodec implements Codec {
  private pending: Buffer = Buffer.alloc(0);
  private scan = 0;
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;

  decode(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    const bytes = this.pending;
    for (let i = this.scan; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.start < 0) {
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          this.start = i;
          this.depth = 1;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          messages.push(Buffer.from(bytes.subarray(this.start, i + 1)));
          this.start = -1;
        }
      }
    }
    // Keep only what an unfinished value needs.
    const keepFrom = this.start < 0 ? bytes.length : this.start;
    this.pending = bytes.subarray(keepFrom);
    this.scan = bytes.length - keepFrom;
    if (this.start >= 0) this.start = 0;
    if (this.pending.length > MAX_FRAME_BYTES) this.reset();
    return messages;
  }

  private reset(): void {
    this.pending = Buffer.alloc(0);
    this.scan = 0;
    this.start = -1;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  encode(message: unknown): Buffer {
    if (isPlainObject(message) || Array.isArray(message)) return Buffer.from(JSON.stringify(message), 'utf8');
    return toBytes(message, 'a message on a JSON connection');
  }
}
