import { describeZodError } from '@wattbus/shared/contract/payload.js';
import { z } from 'zod';
import { PluginConfigurationError } from '../configuration-error.js';

export { PluginConfigurationError };

/** The Hardware-page fields a parameter can fill (Domoticz's `field` attribute, camelCase). */
export const PARAMETER_FIELDS = [
  'address',
  'port',
  'serialPort',
  'username',
  'password',
  'mode1',
  'mode2',
  'mode3',
  'mode4',
  'mode5',
  'mode6',
] as const;
export type ParameterField = (typeof PARAMETER_FIELDS)[number];

/** The `[plugins.<id>]` key that sets each field (TOML keys are snake_case). */
export const FIELD_CONFIG_KEYS: Record<ParameterField, string> = {
  address: 'address',
  port: 'port',
  serialPort: 'serial_port',
  username: 'username',
  password: 'password',
  mode1: 'mode1',
  mode2: 'mode2',
  mode3: 'mode3',
  mode4: 'mode4',
  mode5: 'mode5',
  mode6: 'mode6',
};

const ParameterOptionSchema = z.strictObject({
  label: z.string().min(1, 'must not be empty'),
  value: z.string(),
  default: z.boolean().optional(),
});

const ParameterSchema = z
  .strictObject({
    field: z.enum(PARAMETER_FIELDS, { message: `must be one of ${PARAMETER_FIELDS.join(', ')}` }),
    label: z.string().min(1, 'must not be empty'),
    width: z.string().optional(),
    required: z.boolean().optional(),
    /** Ignored when `options` is present (the option marked default wins). */
    default: z.string().optional(),
    /** Masks the value on the Hardware page; wattbus also keeps it out of logs and the registry. */
    password: z.boolean().optional(),
    options: z.array(ParameterOptionSchema).min(1, 'must list at least one option').optional(),
    /** HTML shown while configuring. */
    description: z.string().optional(),
  })
  .superRefine((param, context) => {
    if (!param.options) return;
    const values = param.options.map((option) => option.value);
    const duplicate = values.find((value, index) => values.indexOf(value) !== index);
    if (duplicate !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['options'],
        message: `has the value ${JSON.stringify(duplicate)} twice`,
      });
    }
    if (param.options.filter((option) => option.default).length > 1) {
      context.addIssue({ code: 'custom', path: ['options'], message: 'may mark only one option as default' });
    }
  });

export const PluginDefinitionSchema = z
  .strictObject({
    /** Unique, never shown; letters, digits, `-` and `_`. */
    key: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "-" and "_"'),
    name: z.string().min(1, 'must not be empty'),
    version: z.string().min(1, 'must not be empty'),
    author: z.string().optional(),
    wikiLink: z.string().optional(),
    externalLink: z.string().optional(),
    /** HTML shown while configuring. */
    description: z.string().optional(),
    /** `extended` (DomoticzEx: Devices[DeviceID].Units[n], the default) or `legacy` (Domoticz: Devices[Unit]). */
    layout: z.enum(['extended', 'legacy']).default('extended'),
    params: z.array(ParameterSchema).default([]),
  })
  .superRefine((definition, context) => {
    const fields = definition.params.map((param) => param.field);
    fields.forEach((field, index) => {
      if (fields.indexOf(field) !== index) {
        context.addIssue({
          code: 'custom',
          path: ['params', index, 'field'],
          message: `${field} is used twice`,
        });
      }
    });
  });

export type ParameterOption = z.input<typeof ParameterOptionSchema>;
export type ParameterDefinition = z.input<typeof ParameterSchema>;
/** A plugin's definition: Domoticz's `<plugin>` XML as a TypeScript object. */
export type PluginDefinition = z.input<typeof PluginDefinitionSchema>;
export type ValidDefinition = z.output<typeof PluginDefinitionSchema>;

/** Declares a plugin's definition with type checking: `export const definition = definePlugin({ ... })`. */
export function definePlugin<const Definition extends PluginDefinition>(definition: Definition): Definition {
  return definition;
}

export function validateDefinition(value: unknown, entry: string): ValidDefinition {
  const parsed = PluginDefinitionSchema.safeParse(value);
  if (!parsed.success) {
    throw new PluginConfigurationError([
      `the definition exported by ${entry} is invalid: ${describeZodError(parsed.error)}`,
    ]);
  }
  return parsed.data;
}
