/**
 * Hand-made MQTT 3.1.1 packets, for what client libraries refuse to send: topics that are not UTF-8, wildcards in a
 * PUBLISH topic, more levels than the broker allows, malformed headers.
 */
export const packets = {
  remainingLength(length: number): Buffer {
    const bytes: number[] = [];
    do {
      let byte = length % 128;
      length = Math.floor(length / 128);
      if (length > 0) byte |= 0x80;
      bytes.push(byte);
    } while (length > 0);
    return Buffer.from(bytes);
  },
  string(value: string | Buffer): Buffer {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return Buffer.concat([length, bytes]);
  },
  frame(type: number, body: Buffer): Buffer {
    return Buffer.concat([Buffer.from([type]), packets.remainingLength(body.length), body]);
  },
  connect(
    clientId: string,
    options: {
      protocolName?: string;
      level?: number;
      keepalive?: number;
      username?: string;
      password?: string;
    } = {},
  ): Buffer {
    const keepalive = Buffer.alloc(2);
    keepalive.writeUInt16BE(options.keepalive ?? 60);
    // Clean session, plus the username and password flags when they are given.
    const flags =
      0x02 | (options.username === undefined ? 0 : 0x80) | (options.password === undefined ? 0 : 0x40);
    const login = [options.username, options.password].flatMap((part) =>
      part === undefined ? [] : [packets.string(part)],
    );
    return packets.frame(
      0x10,
      Buffer.concat([
        packets.string(options.protocolName ?? 'MQTT'),
        Buffer.from([options.level ?? 4, flags]),
        keepalive,
        packets.string(clientId),
        ...login,
      ]),
    );
  },
  /** A QoS 0 PUBLISH; the topic may be raw bytes. */
  publish(topic: string | Buffer, payload: Buffer | string, retain = false): Buffer {
    return packets.frame(
      0x30 | (retain ? 1 : 0),
      Buffer.concat([packets.string(topic), Buffer.from(payload)]),
    );
  },
  subscribe(filter: string, qos = 0): Buffer {
    return packets.frame(
      0x82,
      Buffer.concat([Buffer.from([0, 1]), packets.string(filter), Buffer.from([qos])]),
    );
  },
};
