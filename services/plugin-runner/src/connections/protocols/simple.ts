import { type Codec, MAX_FRAME_BYTES, toBytes } from './codec.js';

/** Protocol "None": every chunk as it arrives, raw bytes both ways. */
export class RawCodec implements Codec {
  decode(chunk: Buffer): unknown[] {
    return [chunk];
  }

  encode(message: unknown): Buffer {
    return toBytes(message, 'a message on a None connection');
  }
}

/** Protocol "Line": one message per line (LF or CRLF; the line ending is not part of the message). */
export class LineCodec implements Codec {
  private pending: Buffer = Buffer.alloc(0);

  decode(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: Buffer[] = [];
    let start = 0;
    for (
      let newline = this.pending.indexOf(10, start);
      newline >= 0;
      newline = this.pending.indexOf(10, start)
    ) {
      const end = newline > start && this.pending[newline - 1] === 13 ? newline - 1 : newline;
      lines.push(Buffer.from(this.pending.subarray(start, end)));
      start = newline + 1;
    }
    this.pending = this.pending.subarray(start);
    if (this.pending.length > MAX_FRAME_BYTES) {
      lines.push(Buffer.from(this.pending));
      this.pending = Buffer.alloc(0);
    }
    return lines;
  }

  end(): unknown[] {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length > 0 ? [Buffer.from(rest)] : [];
  }

  /** Sent as given: add the line ending your device expects. */
  encode(message: unknown): Buffer {
    return toBytes(message, 'a message on a Line connection');
  }
}
