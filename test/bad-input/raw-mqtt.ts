import { connect, type Socket } from 'node:net';

import { packets } from '../helpers/mqtt-packets.js';

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
    socket.once('connect', () => socket.write(packets.connect(clientId, { username, password })));
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
