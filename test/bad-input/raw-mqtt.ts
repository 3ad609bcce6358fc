import { connect, type Socket } from 'node:net';

/**
 * MQTT 3.1.1 packets written byte by byte, for what no client library sends: topics that are not UTF-8, wildcards in
 * a PUBLISH topic, more levels than the broker allows, packets over its size limit.
 */

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function lengthPrefixed(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(bytes.length);
  return Buffer.concat([prefix, bytes]);
}

function packet(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), remainingLength(body.length), body]);
}

export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const header = Buffer.concat([lengthPrefixed('MQTT'), Buffer.from([4, 0xc2, 0, 60])]);
  return packet(
    0x10,
    Buffer.concat([header, lengthPrefixed(clientId), lengthPrefixed(username), lengthPrefixed(password)]),
  );
}

/** A QoS 0 PUBLISH with the topic as raw bytes. */
export function publishPacket(topic: Buffer, payload: Buffer, retain = false): Buffer {
  return packet(0x30 | (retain ? 1 : 0), Buffer.concat([lengthPrefixed(topic), payload]));
}

export interface RawConnection {
  socket: Socket;
  /** Resolves when the broker (or anything) closes the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  send(bytes: Buffer): void;
  end(): void;
}

/** Opens a TCP connection, logs in with MQTT 3.1.1 and waits for a successful CONNACK. */
export async function rawLogin(
  port: number,
  clientId: string,
  username: string,
  password: string,
): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  // Writes after the broker hung up fail with EPIPE/ECONNRESET; the close is what the tests look at.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(connectPacket(clientId, username, password)));
    socket.once('data', (data: Buffer) => {
      if (data[0] === 0x20 && data[3] === 0) resolve();
      else reject(new Error(`CONNACK refused: ${data.toString('hex')}`));
    });
    void closed.then(() => reject(new Error('connection closed before CONNACK')));
  });
  return {
    socket,
    closed,
    isClosed: () => isClosed,
    send: (bytes) => {
      if (!isClosed) socket.write(bytes);
    },
    end: () => socket.destroy(),
  };
}
