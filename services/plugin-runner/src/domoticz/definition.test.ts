import { describe, expect, it } from 'vitest';
import { validateDefinition } from './definition.js';
import { resolveParameters, storableSettings } from './parameters.js';

const block = (keys: Record<string, unknown>) => ({
  enabled: true,
  stop_timeout: 30,
  watchdog_interval: 5,
  callback_timeout: 60,
  restart_delay: 1,
  restart_max_delay: 300,
  restart_reset_after: 60,
  node_options: '',
  ...keys,
});

const definition = validateDefinition(
  {
    key: 'Denon-AVR_2',
    name: 'Denon',
    version: '1',
    params: [
      { field: 'address', label: 'IP Address', required: true },
      { field: 'port', label: 'Port', default: '23' },
      { field: 'password', label: 'Password', password: true },
      {
        field: 'mode1',
        label: 'Zone',
        options: [
          { label: 'Main', value: '1' },
          { label: 'Zone 2', value: '2', default: true },
        ],
      },
    ],
  },
  'denon.ts',
);

describe('plugin definitions', () => {
  it('fills the defaults of a valid definition', () => {
    expect(definition.layout).toBe('extended');
    expect(definition.params).toHaveLength(4);
  });

  it('names every problem of an invalid one', () => {
    const invalid = {
      key: 'has space',
      version: '',
      params: [
        { field: 'mode1', label: 'A' },
        {
          field: 'mode1',
          label: 'B',
          options: [
            { label: 'x', value: 'x', default: true },
            { label: 'y', value: 'x', default: true },
          ],
        },
        { field: 'Mode7', label: 'C' },
      ],
    };
    expect(() => validateDefinition(invalid, 'p.ts')).toThrow(
      /the definition exported by p.ts is invalid: key: must use only letters, digits, "-" and "_"; name: .*; version: must not be empty;/,
    );
    expect(() => validateDefinition(invalid, 'p.ts')).toThrow(/params.1.options: has the value "x" twice/);
    expect(() => validateDefinition(invalid, 'p.ts')).toThrow(
      /params.1.options: may mark only one option as default/,
    );
    expect(() => validateDefinition(invalid, 'p.ts')).toThrow(/params.2.field: must be one of address, port/);
    const twice = {
      key: 'k',
      name: 'n',
      version: '1',
      params: [
        { field: 'mode1', label: 'A' },
        { field: 'mode1', label: 'B' },
      ],
    };
    expect(() => validateDefinition(twice, 'p.ts')).toThrow(/params.1.field: mode1 is used twice/);
    expect(() => validateDefinition({ ...definition, feild: 1 }, 'p.ts')).toThrow(
      /Unrecognized key: "feild"/,
    );
  });
});

describe('parameters', () => {
  it('takes values from the block as strings, with defaults and the default option', () => {
    const resolved = resolveParameters(
      definition,
      block({ address: '192.168.1.9', password: 'pw', extra: 1, name: 'AVR' }),
      'avr',
    );
    expect(resolved.values).toMatchObject({
      address: '192.168.1.9',
      port: '23',
      password: 'pw',
      mode1: '2',
      mode2: '',
    });
    expect(resolved.unknownKeys).toEqual(['extra']);
    expect(
      resolveParameters(definition, block({ address: 'a', port: 8080, mode1: 1 }), 'avr').values,
    ).toMatchObject({
      port: '8080',
      mode1: '1',
    });
    expect(storableSettings(definition, resolved.values)).toEqual({
      address: '192.168.1.9',
      port: '23',
      mode1: '2',
    });
  });

  it('refuses a missing required value and a value outside the options, naming key, label and choices', () => {
    expect(() => resolveParameters(definition, block({ mode1: '3', port: ['x'] }), 'avr')).toThrow(
      '[plugins.avr] address (IP Address) is required by plugin Denon-AVR_2 and has no value; ' +
        '[plugins.avr] port (Port) = ["x"]: must be a string or a number; ' +
        '[plugins.avr] mode1 (Zone) = "3": must be one of "1" (Main), "2" (Zone 2)',
    );
  });
});
