import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeHarness } from '../../test/runtime-harness.js';
import { Connection, type Protocol } from './connection.js';
import { JsonCodec } from './protocols/json.js';
import { LineCodec } from './protocols/simple.js';
import { XmlCodec } from './protocols/xml.js';

let harness: RuntimeHarness;
let server: Server | undefined;

afterEach(async () => {
  harness?.dispose();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A TCP peer that writes `pieces` one by one (a pause between each, so they arrive as separate packets). */
async function peerWriting(pieces: string[], closeAfter = false): Promise<number> {
  server = createServer(async (socket: Socket) => {
    socket.on('error', () => {});
    for (const piece of pieces) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    if (closeAfter) socket.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as { port: number }).port;
}

async function receive(
  protocol: Protocol,
  pieces: string[],
  count: number,
  closeAfter = false,
): Promise<string[]> {
  harness = new RuntimeHarness();
  const port = await peerWriting(pieces, closeAfter);
  const connection = new Connection({
    name: protocol,
    transport: 'TCP/IP',
    protocol,
    address: '127.0.0.1',
    port,
  });
  connection.connect();
  await harness.waitFor('onMessage', () => harness.messages().length >= count);
  return harness.messages().map((data) => (data as Buffer).toString());
}

describe('framing protocols against a TCP peer', () => {
  it('Line: one message per line, CRLF or LF, however the lines are split; a last unterminated line on close', async () => {
    const lines = await receive('Line', ['first li', 'ne\r\nsecond\nthi', 'rd\r', '\nunterminated'], 4, true);
    expect(lines).toEqual(['first line', 'second', 'third', 'unterminated']);
  });

  it('JSON: one message per complete object or array, split or joined, braces in strings ignored', async () => {
    const messages = await receive('JSON', ['{"a":1}{"b":', '[1,2,{"c":"}\\"{"}]}', '\n[3,', '4]'], 3);
    expect(messages).toEqual(['{"a":1}', '{"b":[1,2,{"c":"}\\"{"}]}', '[3,4]']);
    expect(JSON.parse(messages[1]!)).toEqual({ b: [1, 2, { c: '}"{' }] });
  });

  it('XML: one message per top-level element, skipping the declaration, comments and text between', async () => {
    const messages = await receive(
      'XML',
      [
        '<?xml version="1.0"?>\n<Instantaneous',
        'Demand a="x>y"><Demand>0x001</Demand><Empty/>',
        '</InstantaneousDemand>\r\n<!-- note --><Ping/>',
      ],
      2,
    );
    expect(messages).toEqual([
      '<InstantaneousDemand a="x>y"><Demand>0x001</Demand><Empty/></InstantaneousDemand>',
      '<Ping/>',
    ]);
  });
});

describe('framing codecs', () => {
  it('Line keeps an empty line as an empty message', () => {
    const codec = new LineCodec();
    expect(codec.decode(Buffer.from('a\n\nb\n')).map(String)).toEqual(['a', '', 'b']);
  });

  it('JSON sends objects as JSON text and strings as they are', () => {
    const codec = new JsonCodec();
    expect(codec.encode({ method: 'Ping', id: 1 }).toString()).toBe('{"method":"Ping","id":1}');
    expect(codec.encode('{"raw":true}').toString()).toBe('{"raw":true}');
    expect(() => codec.encode(42)).toThrow(/must be a string, a Buffer or a Uint8Array/);
  });

  it('JSON decodes byte by byte as well as in one piece', () => {
    const codec = new JsonCodec();
    const text = 'noise {"k":"v\\\\"} [1] {"n":{"m":[]}}';
    const messages = [...text].flatMap((character) => codec.decode(Buffer.from(character)));
    expect(messages.map(String)).toEqual(['{"k":"v\\\\"}', '[1]', '{"n":{"m":[]}}']);
  });

  it('XML handles CDATA and nested elements of the same name', () => {
    const codec = new XmlCodec();
    const messages = codec.decode(Buffer.from('<a><a/><a>x</a><![CDATA[</a>]]></a><b'));
    expect(messages.map(String)).toEqual(['<a><a/><a>x</a><![CDATA[</a>]]></a>']);
    expect(codec.decode(Buffer.from('/>')).map(String)).toEqual(['<b/>']);
  });
});
