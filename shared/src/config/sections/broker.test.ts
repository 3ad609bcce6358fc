import { describe, expect, it } from 'vitest';
import { BrokerSection } from './broker.js';

describe('[broker]', () => {
  it('has safe defaults: anonymous off, on-disk store, hardening limits on', () => {
    const broker = BrokerSection.parse({});
    expect(broker).toMatchObject({
      port: 1883,
      websocket_port: 8083,
      websocket_path: '/mqtt',
      tls_port: 8883,
      allow_anonymous: false,
      store: 'level',
      max_topic_levels: 32,
      max_packet_size: 8_388_608,
      keepalive_limit: 300,
      drain_timeout: 15,
      connect_rate_limit: 10,
    });
  });

  it.each([
    [{ store: 'redis' }, 'redis_url', 'must be set when store = "redis"'],
    [{ tls_cert_file: 'cert.pem' }, 'tls_key_file', 'tls_cert_file and tls_key_file must be set together'],
    [{ redis_url: 'localhost:6379' }, 'redis_url', 'must be a URL such as redis://redis:6379/0'],
    [{ max_topic_levels: 101 }, 'max_topic_levels', 'must be 1-100'],
    [{ websocket_path: 'mqtt' }, 'websocket_path', 'must be a URL path starting with "/", such as /mqtt'],
    [{ store: 'mongo' }, 'store', 'must be "level", "memory" or "redis"'],
    [{ drain_timeout: 0 }, 'drain_timeout', 'must be at least 1 second'],
  ])('refuses %j naming %s', (input, key, message) => {
    const result = BrokerSection.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toContainEqual([
      key,
      message,
    ]);
  });
});
