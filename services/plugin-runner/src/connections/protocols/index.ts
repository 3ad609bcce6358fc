import type { Codec, CodecContext } from './codec.js';
import { HttpCodec } from './http.js';
import { JsonCodec } from './json.js';
import { MqttCodec } from './mqtt.js';
import { LineCodec, RawCodec } from './simple.js';
import { WebSocketCodec } from './websocket.js';
import { XmlCodec } from './xml.js';

export const PROTOCOLS = [
  'None',
  'Line',
  'JSON',
  'XML',
  'HTTP',
  'HTTPS',
  'WS',
  'WSS',
  'MQTT',
  'MQTTS',
  'ICMP',
] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Protocols whose S variant runs over TLS even on a TCP/IP transport. */
export function protocolNeedsTls(protocol: Protocol): boolean {
  return protocol === 'HTTPS' || protocol === 'WSS' || protocol === 'MQTTS';
}

export function createCodec(protocol: Protocol, context: CodecContext): Codec {
  switch (protocol) {
    case 'None':
      return new RawCodec();
    case 'Line':
      return new LineCodec();
    case 'JSON':
      return new JsonCodec();
    case 'XML':
      return new XmlCodec();
    case 'HTTP':
    case 'HTTPS':
      return new HttpCodec(context);
    case 'WS':
    case 'WSS':
      return new WebSocketCodec(context);
    case 'MQTT':
    case 'MQTTS':
      return new MqttCodec(context);
    case 'ICMP':
      throw new TypeError(
        'the ICMP protocol needs raw sockets, which a plugin process does not have; it is not supported',
      );
  }
}
