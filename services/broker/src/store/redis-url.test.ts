import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { redisOptions } from './redis-url.js';

describe('redisOptions', () => {
  it('reads host, port, credentials, database and TLS', () => {
    expect(redisOptions('redis://redis')).toEqual({ host: 'redis', port: 6379, db: 0 });
    expect(redisOptions('rediss://user:p%40ss@10.0.0.5:6380/2')).toEqual({
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      username: 'user',
      password: 'p@ss',
      tls: {},
    });
    expect(redisOptions('redis://:secret@[::1]:7000')).toEqual({
      host: '::1',
      port: 7000,
      db: 0,
      password: 'secret',
    });
  });

  it('explains a bad database', () => {
    expect(() => redisOptions('redis://redis/cache')).toThrow(ConfigError);
  });
});
