import { type Codec, MAX_FRAME_BYTES, toBytes } from './codec.js';

/**
 * Protocol "XML": one message per complete top-level element (`<Reading>...</Reading>` or `<Ping/>`), as serial
 * meters such as the RAVEn send them. Declarations, comments and text between elements are skipped. Messages are
 * the element's bytes.
 */
export class XmlCodec implements Codec {
  private pending: Buffer = Buffer.alloc(0);

  decode(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    // latin1 maps each byte to one character, so string offsets are byte offsets.
    const text = this.pending.toString('latin1');
    const messages: Buffer[] = [];
    let position = 0;
    for (;;) {
      const open = text.indexOf('<', position);
      if (open < 0) {
        position = text.length;
        break;
      }
      const skip = skipMarkup(text, open);
      if (skip === undefined) {
        position = open;
        break;
      }
      if (skip > open) {
        position = skip;
        continue;
      }
      const end = elementEnd(text, open);
      if (end === undefined) {
        position = open;
        break;
      }
      messages.push(Buffer.from(this.pending.subarray(open, end)));
      position = end;
    }
    this.pending = this.pending.subarray(position);
    if (this.pending.length > MAX_FRAME_BYTES) this.pending = Buffer.alloc(0);
    return messages;
  }

  encode(message: unknown): Buffer {
    return toBytes(message, 'a message on an XML connection');
  }
}

/**
 * At a `<` that starts a declaration, comment, CDATA or DOCTYPE: the index after it (undefined while incomplete).
 * At an element: `open` itself.
 */
function skipMarkup(text: string, open: number): number | undefined {
  const endOf = (terminator: string) => {
    const at = text.indexOf(terminator, open);
    return at < 0 ? undefined : at + terminator.length;
  };
  if (text.startsWith('<?', open)) return endOf('?>');
  if (text.startsWith('<!--', open)) return endOf('-->');
  if (text.startsWith('<![CDATA[', open)) return endOf(']]>');
  if (text.startsWith('<!', open)) return endOf('>');
  if (text.length - open < 2) return undefined;
  if (text[open + 1] === '/') return endOf('>');
  return open;
}

/** The index just past the tag that starts at `at`, honouring quoted attribute values. */
function tagEnd(text: string, at: number): number | undefined {
  let quote: string | undefined;
  for (let i = at + 1; i < text.length; i++) {
    const character = text[i];
    if (quote) {
      if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") quote = character;
    else if (character === '>') return i + 1;
  }
  return undefined;
}

/** The index just past the element that starts at `open`, or undefined while it is incomplete. */
function elementEnd(text: string, open: number): number | undefined {
  let depth = 0;
  let position = open;
  while (position < text.length) {
    const at = text.indexOf('<', position);
    if (at < 0) return undefined;
    const skipped = skipMarkup(text, at);
    if (skipped === undefined) return undefined;
    if (text[at + 1] === '/') {
      depth--;
      if (depth === 0) return skipped;
      position = skipped;
      continue;
    }
    if (skipped > at) {
      position = skipped;
      continue;
    }
    const end = tagEnd(text, at);
    if (end === undefined) return undefined;
    const selfClosing = text[end - 2] === '/';
    if (!selfClosing) depth++;
    else if (depth === 0) return end;
    position = end;
  }
  return undefined;
}
