import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { readServiceAccounts } from './service-accounts.js';

describe('readServiceAccounts', () => {
  it('turns WATTBUS_SERVICE_ACCOUNT_<NAME> into lower-case users', () => {
    const { accounts, disabled } = readServiceAccounts({
      WATTBUS_SERVICE_ACCOUNT_SAMPLER: 's3cret',
      WATTBUS_SERVICE_ACCOUNT_PLUGIN_POWER_DEVICES: 'p4ss',
      WATTBUS_SERVICE_ACCOUNT_REGISTRY: '',
      WATTBUS_MQTT_PASSWORD: 'not an account',
    });
    expect([...accounts]).toEqual([
      ['sampler', 's3cret'],
      ['plugin_power_devices', 'p4ss'],
    ]);
    expect(disabled).toEqual(['registry']);
  });

  it('refuses a name that is not a valid username', () => {
    expect(() => readServiceAccounts({ 'WATTBUS_SERVICE_ACCOUNT_A:B': 'x' })).toThrow(ConfigError);
    expect(() => readServiceAccounts({ WATTBUS_SERVICE_ACCOUNT_: 'x' })).toThrow(/must not be empty/);
  });
});
