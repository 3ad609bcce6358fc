import { connect, type Socket } from 'node:net';
import { packets } from '../../test/helpers/mqtt-packets.js';

/**
 * A deliberately lean MQTT 3.1.1 client for load generation: pre-encoded packets written in batches, and a parser
 * that only reads what the benchmark needs (packet type, QoS, packet id and the send time in the payload). mqtt.js
 * costs several times more CPU per message, and on a 2-core machine the generator must not be the bottleneck.
 */
export interface ReceivedPublish {
  /** performance.now() at the publisher, written into the first 8 bytes of the payload. */
  sentAt: number;
}

const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBACK = 0x90;

/** A PUBLISH packet whose payload starts with an 8-byte send time at `timeOffset` and, for QoS 1, an id. */
export class PublishTemplate {
  readonly bytes: Buffer;
  readonly timeOffset: number;
  readonly idOffset: number;

  constructor(
    topic: string,
    payloadSize: number,
    readonly qos: 0 | 1,
  ) {
    const topicBytes = packets.string(topic);
    const variable = qos === 1 ? Buffer.concat([topicBytes, Buffer.alloc(2)]) : topicBytes;
    const payload = Buffer.alloc(Math.max(8, payloadSize), 0x61);
    this.bytes = packets.frame(PUBLISH | (qos << 1), Buffer.concat([variable, payload]));
    this.timeOffset = this.bytes.length - payload.length;
    this.idOffset = this.timeOffset - 2;
  }

  /** `count` packets back to back, stamped with the current time and consecutive packet ids. */
  batch(count: number, firstId: number, now: number): Buffer {
    const size = this.bytes.length;
    const out = Buffer.allocUnsafe(size * count);
    for (let i = 0; i < count; i++) {
      this.bytes.copy(out, i * size);
      out.writeDoubleLE(now, i * size + this.timeOffset);
      if (this.qos === 1) out.writeUInt16BE(((firstId + i - 1) % 65535) + 1, i * size + this.idOffset);
    }
    return out;
  }
}

export class RawMqttClient {
  /** Called for every PUBLISH received; its PUBACK (QoS 1) is sent once the whole chunk is parsed. */
  onPublish: (message: ReceivedPublish) => void = () => {};
  /** Called with the number of PUBACKs in each chunk the broker sent us. */
  onAcks: (count: number) => void = () => {};
  private pending: Buffer | undefined;
  private waiting: { type: number; resolve: () => void }[] = [];
  private closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number, clientId: string, keepalive = 60): Promise<RawMqttClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawMqttClient(socket);
    const acknowledged = client.expect(CONNACK);
    socket.write(packets.connect(clientId, { keepalive }));
    await acknowledged;
    return client;
  }

  async subscribe(filter: string, qos: 0 | 1): Promise<void> {
    const acknowledged = this.expect(SUBACK);
    this.socket.write(packets.subscribe(filter, qos));
    await acknowledged;
  }

  /** Writes and resolves when the socket can take more (backpressure). */
  async write(bytes: Buffer): Promise<void> {
    if (!this.socket.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('close', done);
          this.socket.off('drain', done);
          resolve();
        };
        this.socket.once('drain', done);
        this.socket.once('close', done);
      });
    }
  }

  close(): Promise<void> {
    this.socket.end(Buffer.from([0xe0, 0x00]));
    this.socket.destroySoon();
    return this.closedPromise;
  }

  private expect(type: number): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ type, resolve }));
  }

  private receive(chunk: Buffer): void {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let offset = 0;
    let acks = 0;
    const pubacks: number[] = [];
    while (offset + 2 <= data.length) {
      const first = data[offset]!;
      let length = 0;
      let multiplier = 1;
      let cursor = offset + 1;
      let complete = false;
      while (cursor < data.length) {
        const byte = data[cursor++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || cursor + length > data.length) break;
      const type = first & 0xf0;
      if (type === PUBLISH) {
        const qos = (first >> 1) & 0x03;
        const topicLength = data.readUInt16BE(cursor);
        let payload = cursor + 2 + topicLength;
        if (qos > 0) {
          pubacks.push(data.readUInt16BE(payload));
          payload += 2;
        }
        this.onPublish({ sentAt: data.readDoubleLE(payload) });
      } else if (type === PUBACK) {
        acks++;
      } else {
        const index = this.waiting.findIndex((waiter) => waiter.type === type);
        if (index >= 0) this.waiting.splice(index, 1)[0]!.resolve();
      }
      offset = cursor + length;
    }
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
    data = Buffer.alloc(0);
    if (pubacks.length > 0) {
      const out = Buffer.allocUnsafe(pubacks.length * 4);
      pubacks.forEach((id, i) => {
        out[i * 4] = PUBACK;
        out[i * 4 + 1] = 2;
        out.writeUInt16BE(id, i * 4 + 2);
      });
      this.socket.write(out);
    }
    if (acks > 0) this.onAcks(acks);
  }
}
