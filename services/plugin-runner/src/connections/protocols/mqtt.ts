import { createRequire } from 'node:module';
import type { IPublishPacket, Packet, Parser } from 'mqtt-packet';
import { z } from 'zod';
import { type Codec, type CodecContext, toBytes } from './codec.js';
import { checkMessage } from './http.js';

type MqttPacketModule = typeof import('mqtt-packet');
let mqttPacket: MqttPacketModule | undefined;
/** Loaded on first use: most plugins never open an MQTT connection. */
function packets(): MqttPacketModule {
  mqttPacket ??= createRequire(import.meta.url)('mqtt-packet') as MqttPacketModule;
  return mqttPacket;
}

const Bytes = z.union([z.string(), z.instanceof(Uint8Array)]);
const Qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** What `send()` takes on an MQTT(S) connection: one dict per MQTT control packet, chosen by `verb`. */
export const MqttSendSchema = z.discriminatedUnion('verb', [
  z.strictObject({
    verb: z.literal('CONNECT'),
    /** The client id; default `wattbus_<random>`. */
    id: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    cleanSession: z.boolean().optional(),
    /** Seconds; default 60. Send `{ verb: 'PING' }` from onHeartbeat to keep the session alive. */
    keepAlive: z.number().int().min(0).max(65535).optional(),
    /** 4 (MQTT 3.1.1, the default) or 5. */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
    willTopic: z.string().optional(),
    willPayload: Bytes.optional(),
    willQoS: Qos.optional(),
    willRetain: z.boolean().optional(),
  }),
  z.strictObject({
    verb: z.literal('SUBSCRIBE'),
    /** Topic filters, as strings or `{ topic, qos }`. */
    topics: z.array(z.union([z.string(), z.strictObject({ topic: z.string(), qos: Qos.optional() })])).min(1),
    packetIdentifier: z.number().int().min(1).max(65535).optional(),
  }),
  z.strictObject({
    verb: z.literal('UNSUBSCRIBE'),
    topics: z.array(z.string()).min(1),
    packetIdentifier: z.number().int().min(1).max(65535).optional(),
  }),
  z.strictObject({
    verb: z.literal('PUBLISH'),
    topic: z.string().min(1),
    payload: Bytes.optional(),
    qos: Qos.optional(),
    retain: z.boolean().optional(),
    dup: z.boolean().optional(),
    packetIdentifier: z.number().int().min(1).max(65535).optional(),
  }),
  z.strictObject({ verb: z.literal('PUBACK'), packetIdentifier: z.number().int().min(1).max(65535) }),
  z.strictObject({ verb: z.literal('PING') }),
  z.strictObject({ verb: z.literal('DISCONNECT') }),
]);
export type MqttSendMessage = z.input<typeof MqttSendSchema>;

const CONNACK_DESCRIPTIONS: Record<number, string> = {
  0: 'Connection Accepted',
  1: 'Connection Refused, unacceptable protocol version',
  2: 'Connection Refused, identifier rejected',
  3: 'Connection Refused, Server unavailable',
  4: 'Connection Refused, bad user name or password',
  5: 'Connection Refused, not authorized',
};

function subackDescription(code: number): string {
  if (code <= 2) return `Granted QoS ${code}`;
  return code === 128 ? 'Failure' : `Failure (${code})`;
}

/**
 * Protocols "MQTT" and "MQTTS" (client side). Each MQTT control packet is a dict with `verb` both ways: the
 * plugin sends CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PING and DISCONNECT; onMessage gets CONNACK, SUBACK,
 * UNSUBACK, PUBLISH, PUBACK and PINGRESP. Incoming QoS 1 and 2 publishes are acknowledged by the framework.
 */
export class MqttCodec implements Codec {
  private readonly parser: Parser;
  private readonly received: unknown[] = [];
  private nextId = 1;
  private protocolVersion: 4 | 5 = 4;

  constructor(private readonly context: CodecContext) {
    if (context.role === 'server') {
      throw new TypeError(
        'MQTT and MQTTS connections are for connecting to a broker; Listen is not supported',
      );
    }
    this.parser = packets().parser({ protocolVersion: 4 });
    this.parser.on('packet', (packet: Packet) => this.onPacket(packet));
    this.parser.on('error', (error: Error) => {
      throw error;
    });
  }

  decode(chunk: Buffer): unknown[] {
    this.parser.parse(chunk);
    return this.received.splice(0);
  }

  private packetId(given: number | undefined): number {
    if (given !== undefined) return given;
    const id = this.nextId;
    this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1;
    return id;
  }

  private generate(packet: Packet): Buffer {
    return packets().generate(packet, { protocolVersion: this.protocolVersion });
  }

  private onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack': {
        const code = packet.returnCode ?? packet.reasonCode ?? 0;
        this.received.push({
          verb: 'CONNACK',
          status: code,
          description: CONNACK_DESCRIPTIONS[code] ?? `Connection Refused (${code})`,
          sessionPresent: packet.sessionPresent,
        });
        return;
      }
      case 'suback':
        this.received.push({
          verb: 'SUBACK',
          packetIdentifier: packet.messageId,
          topics: (packet.granted as (number | { qos: number })[]).map((granted) => {
            const code = typeof granted === 'number' ? granted : granted.qos;
            return { status: code, description: subackDescription(code) };
          }),
        });
        return;
      case 'unsuback':
        this.received.push({ verb: 'UNSUBACK', packetIdentifier: packet.messageId });
        return;
      case 'publish':
        this.onPublish(packet);
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        if (packet.cmd === 'pubrec')
          this.context.write(this.generate({ cmd: 'pubrel', messageId: packet.messageId! }));
        this.received.push({ verb: packet.cmd.toUpperCase(), packetIdentifier: packet.messageId });
        return;
      case 'pubrel':
        this.context.write(this.generate({ cmd: 'pubcomp', messageId: packet.messageId! }));
        return;
      case 'pingresp':
        this.received.push({ verb: 'PINGRESP' });
        return;
      default:
        this.received.push({ verb: packet.cmd.toUpperCase() });
    }
  }

  private onPublish(packet: IPublishPacket): void {
    if (packet.qos === 1) this.context.write(this.generate({ cmd: 'puback', messageId: packet.messageId! }));
    if (packet.qos === 2) this.context.write(this.generate({ cmd: 'pubrec', messageId: packet.messageId! }));
    this.received.push({
      verb: 'PUBLISH',
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      ...(packet.messageId !== undefined ? { packetIdentifier: packet.messageId } : {}),
    });
  }

  encode(message: unknown): Buffer {
    const checked = checkMessage(MqttSendSchema, message, 'an MQTT message');
    switch (checked.verb) {
      case 'CONNECT': {
        this.protocolVersion = checked.protocolVersion ?? 4;
        return this.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: this.protocolVersion,
          clientId: checked.id ?? `wattbus_${Math.random().toString(16).slice(2, 10)}`,
          clean: checked.cleanSession ?? true,
          keepalive: checked.keepAlive ?? 60,
          ...(checked.username !== undefined ? { username: checked.username } : {}),
          ...(checked.password !== undefined ? { password: Buffer.from(checked.password, 'utf8') } : {}),
          ...(checked.willTopic !== undefined
            ? {
                will: {
                  topic: checked.willTopic,
                  payload: toBytes(checked.willPayload ?? '', 'willPayload'),
                  qos: checked.willQoS ?? 0,
                  retain: checked.willRetain ?? false,
                },
              }
            : {}),
        });
      }
      case 'SUBSCRIBE':
        return this.generate({
          cmd: 'subscribe',
          messageId: this.packetId(checked.packetIdentifier),
          subscriptions: checked.topics.map((entry) =>
            typeof entry === 'string'
              ? { topic: entry, qos: 0 }
              : { topic: entry.topic, qos: entry.qos ?? 0 },
          ),
        });
      case 'UNSUBSCRIBE':
        return this.generate({
          cmd: 'unsubscribe',
          messageId: this.packetId(checked.packetIdentifier),
          unsubscriptions: checked.topics,
        });
      case 'PUBLISH': {
        const qos = checked.qos ?? 0;
        return this.generate({
          cmd: 'publish',
          topic: checked.topic,
          payload: toBytes(checked.payload ?? '', 'payload'),
          qos,
          retain: checked.retain ?? false,
          dup: checked.dup ?? false,
          ...(qos > 0 ? { messageId: this.packetId(checked.packetIdentifier) } : {}),
        });
      }
      case 'PUBACK':
        return this.generate({ cmd: 'puback', messageId: checked.packetIdentifier });
      case 'PING':
        return this.generate({ cmd: 'pingreq' });
      case 'DISCONNECT':
        return this.generate({ cmd: 'disconnect' });
    }
  }
}
