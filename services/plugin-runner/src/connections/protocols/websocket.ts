import { TextDecoder } from 'node:util';
import { z } from 'zod';
import { builtins } from '../builtins.js';
import { type Codec, type CodecContext, isPlainObject, MAX_FRAME_BYTES, toBytes } from './codec.js';
import { checkMessage, HttpCodec, type HttpResponse, HttpSendSchema, headerOf } from './http.js';

/** Headers Domoticz injects into the upgrade request when the plugin does not set them. */
const UPGRADE_HEADERS: Record<string, string> = {
  Accept: '*/*',
  'Accept-Language': 'en-US,en;q=0.9',
  'Accept-Encoding': 'gzip, deflate',
  Connection: 'keep-alive, Upgrade',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Extensions': 'permessage-deflate',
  Upgrade: 'websocket',
  Pragma: 'no-cache',
  'Cache-Control': 'no-cache',
};

const OPCODES = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;
const OPERATIONS: Record<number, 'Close' | 'Ping' | 'Pong'> = { 8: 'Close', 9: 'Ping', 10: 'Pong' };

/** A frame as `send()` takes it once the connection is upgraded. */
export const WebSocketSendSchema = z.strictObject({
  /** A control frame: `Ping`, `Pong` or `Close`; absent for data. */
  operation: z.enum(['Ping', 'Pong', 'Close']).optional(),
  /** A string is a text message, bytes a binary one. */
  payload: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  /** The 32-bit masking key. Client frames are always masked; without a key a random one is used. */
  mask: z.number().int().min(0).max(0xffffffff).optional(),
  /** False: more fragments of this message follow. Default true. */
  finish: z.boolean().optional(),
});
export type WebSocketSendMessage = z.input<typeof WebSocketSendSchema>;

/** A frame as onMessage receives it. */
export interface WebSocketFrame {
  operation?: 'Ping' | 'Pong' | 'Close';
  /** Text frames give a string, binary and control frames a Buffer. */
  payload: string | Buffer;
  /** False when more fragments of the message follow (never for compressed messages, which arrive whole). */
  finish: boolean;
}

const DICTIONARY_BYTES = 32 * 1024;
const INFLATE_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Protocols "WS" and "WSS" (client side): the first `send()` after onConnect is the HTTP upgrade request (a dict
 * with `url` and `headers`), answered by an HTTP response dict with status `'101'`; from then on frames are dicts
 * with `payload`, `operation`, `mask` and `finish`. The plugin answers Ping itself, as in Domoticz.
 * permessage-deflate is offered, and compressed messages are inflated.
 */
export class WebSocketCodec implements Codec {
  private readonly http: HttpCodec;
  private upgraded = false;
  private pending: Buffer = Buffer.alloc(0);
  private deflate: { contextTakeover: boolean; window: Buffer } | undefined;
  /** The message being received: its type and, when compressed, its fragments so far. */
  private incoming: { text: boolean; compressed: boolean; parts: Buffer[]; decoder: TextDecoder } | undefined;
  /** Whether the last data frame sent left its message unfinished. */
  private sendingFragmented = false;

  constructor(context: CodecContext) {
    if (context.role === 'server') {
      throw new TypeError(
        'WS and WSS connections are for connecting to a WebSocket server; Listen is not supported',
      );
    }
    this.http = new HttpCodec(context);
  }

  decode(chunk: Buffer): unknown[] {
    if (!this.upgraded) {
      const messages = this.http.decode(chunk) as HttpResponse[];
      const switched = messages.find((message) => message.status === '101');
      if (!switched || !this.http.switched) return messages;
      this.upgraded = true;
      const extensions = headerOf(switched.headers, 'sec-websocket-extensions') ?? '';
      if (/permessage-deflate/i.test(extensions)) {
        this.deflate = {
          contextTakeover: !/server_no_context_takeover/i.test(extensions),
          window: Buffer.alloc(0),
        };
      }
      return [...messages, ...this.decodeFrames(this.http.takeRemainder())];
    }
    return this.decodeFrames(chunk);
  }

  private decodeFrames(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: WebSocketFrame[] = [];
    for (;;) {
      const bytes = this.pending;
      if (bytes.length < 2) break;
      const fin = (bytes[0]! & 0x80) !== 0;
      const rsv1 = (bytes[0]! & 0x40) !== 0;
      const opcode = bytes[0]! & 0x0f;
      const masked = (bytes[1]! & 0x80) !== 0;
      let length = bytes[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (bytes.length < 4) break;
        length = bytes.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (bytes.length < 10) break;
        const big = bytes.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME_BYTES)) throw new Error(`WebSocket frame of ${big} bytes is too large`);
        length = Number(big);
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (bytes.length < offset + length) break;
      const payload = Buffer.from(bytes.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++) payload[i]! ^= bytes[maskOffset + (i % 4)]!;
      }
      this.pending = bytes.subarray(offset + length);
      const frame = this.frame(opcode, fin, rsv1, payload);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private frame(opcode: number, fin: boolean, rsv1: boolean, payload: Buffer): WebSocketFrame | undefined {
    const operation = OPERATIONS[opcode];
    if (operation) return { operation, payload, finish: true };
    if (opcode === OPCODES.text || opcode === OPCODES.binary) {
      this.incoming = {
        text: opcode === OPCODES.text,
        compressed: rsv1 && this.deflate !== undefined,
        parts: [],
        decoder: new TextDecoder('utf-8'),
      };
    }
    const message = this.incoming;
    if (!message) return undefined;
    if (message.compressed) {
      message.parts.push(payload);
      if (!fin) return undefined;
      this.incoming = undefined;
      const inflated = this.inflate(Buffer.concat(message.parts));
      return { payload: message.text ? inflated.toString('utf8') : inflated, finish: true };
    }
    if (fin) this.incoming = undefined;
    return {
      payload: message.text ? message.decoder.decode(payload, { stream: !fin }) : payload,
      finish: fin,
    };
  }

  /** Inflates one message; with context takeover the previous output is the dictionary of the next. */
  private inflate(compressed: Buffer): Buffer {
    const state = this.deflate!;
    const options: { finishFlush: number; dictionary?: Buffer } = {
      finishFlush: builtins.zlib.constants.Z_SYNC_FLUSH,
    };
    if (state.contextTakeover && state.window.length > 0) options.dictionary = state.window;
    const output = builtins.zlib.inflateRawSync(Buffer.concat([compressed, INFLATE_TRAILER]), options);
    if (state.contextTakeover) {
      const window = Buffer.concat([state.window, output]);
      state.window = window.subarray(Math.max(0, window.length - DICTIONARY_BYTES));
    }
    return output;
  }

  encode(message: unknown): Buffer {
    if (!this.upgraded) {
      if (isPlainObject(message) && ('payload' in message || 'operation' in message)) {
        throw new TypeError(
          'this WebSocket connection is not upgraded yet: first send the upgrade request ({ url, headers }) and wait for status 101',
        );
      }
      const request = checkMessage(
        HttpSendSchema,
        { verb: 'GET', ...(message as object) },
        'a WebSocket upgrade request',
      );
      return this.http.encodeRequest(request, {
        ...UPGRADE_HEADERS,
        'Sec-WebSocket-Key': builtins.crypto.randomBytes(16).toString('base64'),
      });
    }
    const frame = checkMessage(WebSocketSendSchema, message, 'a WebSocket frame');
    const payload = frame.payload === undefined ? Buffer.alloc(0) : toBytes(frame.payload, 'payload');
    const finish = frame.finish ?? true;
    let opcode: number;
    if (frame.operation) opcode = OPCODES[frame.operation.toLowerCase() as 'close' | 'ping' | 'pong'];
    else {
      opcode = this.sendingFragmented
        ? OPCODES.continuation
        : typeof frame.payload === 'string'
          ? OPCODES.text
          : OPCODES.binary;
      this.sendingFragmented = !finish;
    }
    const maskKey = Buffer.alloc(4);
    if (frame.mask === undefined) builtins.crypto.randomBytes(4).copy(maskKey);
    else maskKey.writeUInt32BE(frame.mask >>> 0);
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = (finish || frame.operation ? 0x80 : 0) | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 0x10000) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i]! ^= maskKey[i % 4]!;
    return Buffer.concat([header, maskKey, masked]);
  }
}
