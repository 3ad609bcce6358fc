import { z } from 'zod';
import { BaseTopic } from './common.js';

export const MqttSection = z.strictObject({
  /** mqtt://, mqtts://, ws:// or wss://. */
  url: z
    .string()
    .refine(
      (url) => /^(mqtts?|wss?|tcp|ssl|tls):\/\/[^/]/.test(url),
      'must be a URL such as mqtt://host:1883',
    )
    .default('mqtt://127.0.0.1:1883'),
  username: z.string().default(''),
  password: z.string().default(''),
  base_topic: BaseTopic.default('wattbus'),
  /** 5 for MQTT 5 (the default), 4 for MQTT 3.1.1. */
  protocol_version: z
    .union([z.literal(5), z.literal(4)], { message: 'must be 5 (MQTT 5) or 4 (MQTT 3.1.1)' })
    .default(5),
  /** Defaults to `wattbus-<service>`; must be unique per connection. */
  client_id: z.string().max(128).default(''),
  keepalive: z.number().int().min(5, 'must be at least 5 seconds').max(3600).default(30),
  reconnect_period: z.number().min(0.1, 'must be at least 0.1 seconds').max(300).default(1),
  ca_file: z.string().default(''),
  cert_file: z.string().default(''),
  key_file: z.string().default(''),
  reject_unauthorized: z.boolean().default(true),
});
export type MqttSection = z.infer<typeof MqttSection>;
