import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { parsePluginConfig } from '../lib/plugin-config.js';
import { MqttV2Config } from './config.js';

function problemsOf(block: Record<string, unknown>): string[] {
  try {
    parsePluginConfig(MqttV2Config, { enabled: true, log_level: 'debug', ...block }, 'plugins.mqtt_v2');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('mqtt_v2 config', () => {
  it("accepts the reference README's block and fills the reference defaults", () => {
    const config = parsePluginConfig(
      MqttV2Config,
      {
        enabled: true,
        host: '192.168.1.10',
        username: '',
        password: '',
        prefix: 'powermon',
        refresh_rate: 5,
      },
      'plugins.mqtt_v2',
    );
    expect(config).toMatchObject({
      host: '192.168.1.10',
      prefix: 'powermon',
      power_change: 5,
      voltage_change: 3,
      current_change: 1,
      pf_change: 0.05,
      max_publish_seconds: 600,
      tls: false,
      protocol_version: 4,
    });
    expect(config.port).toBeUndefined();
  });

  it('names a missing host', () => {
    expect(problemsOf({})).toEqual([
      '[plugins.mqtt_v2] host = (missing): is required: the host name or IP address of the MQTT broker to publish to',
    ]);
  });

  it('names every invalid key with its value and the rule, at once', () => {
    const problems = problemsOf({
      host: 'mqtt://broker',
      port: 70000,
      power_change: '5W',
      refresh_rate: 0,
      prefix: 'power/#',
      refresh: 5,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[plugins\.mqtt_v2\] host = "mqtt:\/\/broker": must be a bare host name/),
        expect.stringMatching(/^\[plugins\.mqtt_v2\] port = 70000: must be 1-65535/),
        expect.stringMatching(/^\[plugins\.mqtt_v2\] power_change = "5W": must be a number/),
        expect.stringMatching(/^\[plugins\.mqtt_v2\] refresh_rate = 0: must be at least 0\.1 seconds/),
        expect.stringMatching(/^\[plugins\.mqtt_v2\] prefix = "power\/#": must not contain MQTT wildcards/),
        '[plugins.mqtt_v2] refresh = 5: is not a known setting of this plugin',
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('never echoes a password and checks TLS settings together', () => {
    const problems = problemsOf({ host: 'broker', password: 12345 });
    expect(problems).toEqual([
      '[plugins.mqtt_v2] password = [redacted]: must be text ("" for no authentication)',
    ]);
    expect(problemsOf({ host: 'broker', tls: true, cert_file: '/etc/cert.pem' })).toEqual([
      '[plugins.mqtt_v2] key_file = (missing): cert_file and key_file go together: set both for a client certificate, or neither',
    ]);
    expect(problemsOf({ host: 'broker', ca_file: '/etc/ca.pem' })).toEqual([
      '[plugins.mqtt_v2] tls = (missing): must be true when ca_file or cert_file is set',
    ]);
  });
});
