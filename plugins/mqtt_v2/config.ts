import { BaseTopic } from '@wattbus/shared';
import { z } from 'zod';

const Threshold = (name: string) =>
  z
    .number({ error: `must be a number (the ${name} change that triggers a publish)` })
    .finite()
    .nonnegative('must be 0 or more (0 publishes every refresh)');

/**
 * The `[plugins.mqtt_v2]` block: the reference plugin's keys (host, username, password, prefix, the four
 * `*_change` deadbands, refresh_rate, max_publish_seconds) with its README's values as defaults, plus port, TLS and
 * protocol settings the reference lacked.
 */
export const MqttV2Config = z
  .strictObject({
    host: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'is required: the host name or IP address of the MQTT broker to publish to'
            : 'must be a host name or IP address in quotes',
      })
      .trim()
      .min(1, 'must not be empty: the host name or IP address of the MQTT broker to publish to')
      .refine(
        (host) => !/[\s/]/.test(host),
        'must be a bare host name or IP address, without "mqtt://" or a path',
      ),
    /** Defaults to 1883, or 8883 with `tls = true`. */
    port: z
      .number({ error: 'must be a port number from 1 to 65535, without quotes' })
      .int('must be a whole number')
      .min(1, 'must be 1-65535')
      .max(65535, 'must be 1-65535')
      .optional(),
    username: z.string({ error: 'must be text ("" for no authentication)' }).default(''),
    password: z.string({ error: 'must be text ("" for no authentication)' }).default(''),
    prefix: BaseTopic.default('powermon'),
    power_change: Threshold('power').default(5),
    voltage_change: Threshold('voltage').default(3),
    current_change: Threshold('current').default(1),
    pf_change: Threshold('power factor').default(0.05),
    refresh_rate: z
      .number({ error: 'must be a number of seconds' })
      .finite()
      .min(0.1, 'must be at least 0.1 seconds')
      .max(86_400, 'must be at most 86400 seconds')
      .default(5),
    max_publish_seconds: z
      .number({ error: 'must be a number of seconds' })
      .finite()
      .nonnegative('must be 0 or more seconds')
      .default(600),
    tls: z.boolean({ error: 'must be true or false' }).default(false),
    /** PEM files for a private CA and for client certificates. */
    ca_file: z.string().default(''),
    cert_file: z.string().default(''),
    key_file: z.string().default(''),
    /** false accepts any server certificate (self-signed test brokers only). */
    tls_verify: z.boolean({ error: 'must be true or false' }).default(true),
    /** 4 is MQTT 3.1.1, what the reference spoke and every broker accepts; 5 for MQTT 5. */
    protocol_version: z
      .union([z.literal(4), z.literal(5)], { error: 'must be 4 (MQTT 3.1.1) or 5' })
      .default(4),
    client_id: z.string().max(128, 'must be at most 128 characters').default(''),
    qos: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }).default(0),
    /** The reference does not retain figures; `true` lets a new subscriber see the last value at once. */
    retain: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .superRefine((config, context) => {
    if ((config.cert_file === '') !== (config.key_file === '')) {
      context.addIssue({
        code: 'custom',
        path: [config.cert_file === '' ? 'cert_file' : 'key_file'],
        message: 'cert_file and key_file go together: set both for a client certificate, or neither',
      });
    }
    if (!config.tls && (config.ca_file || config.cert_file)) {
      context.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'must be true when ca_file or cert_file is set',
      });
    }
  });
export type MqttV2Config = z.infer<typeof MqttV2Config>;

/** The figure kinds with their deadband key. */
export type FigureKind = 'power' | 'pf' | 'current' | 'voltage';

export function thresholdsOf(config: MqttV2Config): Record<FigureKind, number> {
  return {
    power: config.power_change,
    pf: config.pf_change,
    current: config.current_change,
    voltage: config.voltage_change,
  };
}
