import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from '../load.js';

const load = (env: Record<string, string>) => loadConfig({ env: { WATTBUS_CONFIG: '/dev/null', ...env } });

describe('[registry] and [homeassistant]', () => {
  it('has defaults that make a working registry', () => {
    const { config } = load({});
    expect(config.registry).toMatchObject({
      synchronous: 'normal',
      http_port: 8088,
      http_token: '',
      title: 'wattbus',
    });
    expect(config.homeassistant).toMatchObject({
      discovery: true,
      prefix: 'homeassistant',
      unused_units: 'enabled',
    });
  });

  it('takes overrides from the environment, including extra Settings keys', () => {
    const { config } = load({
      WATTBUS__REGISTRY__HTTP_TOKEN: 'secret',
      WATTBUS__REGISTRY__SETTINGS: '{ MaxElectricPower = "6000" }',
      WATTBUS__HOMEASSISTANT__UNUSED_UNITS: 'hidden',
    });
    expect(config.registry.http_token).toBe('secret');
    expect(config.registry.settings).toEqual({ MaxElectricPower: '6000' });
    expect(config.homeassistant.unused_units).toBe('hidden');
  });

  it('names the key, the value and the rule of a bad setting', () => {
    expect(() => load({ WATTBUS__REGISTRY__SYNCHRONOUS: 'off' })).toThrow(ConfigError);
    expect(() => load({ WATTBUS__REGISTRY__SYNCHRONOUS: 'off' })).toThrow(
      /registry\.synchronous = "off" \(from WATTBUS__REGISTRY__SYNCHRONOUS\): must be "full" or "normal"/,
    );
    expect(() =>
      load({ WATTBUS__HOMEASSISTANT__BIRTH_DELAY_MIN: '60', WATTBUS__HOMEASSISTANT__BIRTH_DELAY_MAX: '10' }),
    ).toThrow(/birth_delay_min must not be greater than birth_delay_max/);
    expect(() => load({ WATTBUS__HOMEASSISTANT__PREFIX: 'home/#' })).toThrow(/homeassistant\.prefix/);
  });
});
