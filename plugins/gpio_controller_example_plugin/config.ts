import { z } from 'zod';
import { type NumberingScheme, type ResolvedPin, resolvePin } from './pin-numbering.js';

const Pin = z.number({ error: 'must be a pin number' }).int('must be a whole pin number');

/**
 * `[plugins.gpio_controller_example_plugin]`: the reference's keys (pin_numbering_scheme, output_pin, input_pin)
 * plus the check interval, the backend and the chip.
 */
export const GpioConfig = z
  .strictObject({
    pin_numbering_scheme: z
      .string()
      .transform((scheme) => scheme.toUpperCase())
      .pipe(
        z.enum(['BCM', 'BOARD'], { error: 'must be "BCM" (GPIO numbers) or "BOARD" (header pin numbers)' }),
      )
      .default('BCM'),
    output_pin: Pin.optional(),
    /** Read and logged at every check, as in the reference; optional. */
    input_pin: Pin.optional(),
    /** Seconds between two looks at net power (the reference checks once a minute). */
    check_interval: z
      .number({ error: 'must be a number of seconds' })
      .finite()
      .min(0.1, 'must be at least 0.1 seconds')
      .max(86_400, 'must be at most 86400 seconds')
      .default(60),
    /** `auto`: the character device when /dev/gpiochip0 exists, else the simulation. */
    backend: z
      .enum(['auto', 'chardev', 'simulated'], { error: 'must be "auto", "chardev" or "simulated"' })
      .default('auto'),
    /** The GPIO chip: `auto` finds the Raspberry Pi's header controller (gpiochip0, or gpiochip4 on some Pi 5 kernels). */
    chip: z.string().min(1, 'must not be empty').default('auto'),
    /** Logical high drives the pin low, for relay boards that switch on a low input. */
    active_low: z.boolean({ error: 'must be true or false' }).default(false),
    /** The simulated backend writes the pin states here as JSON ("" keeps them in memory). */
    simulation_file: z.string().default(''),
  })
  .superRefine((config, context) => {
    if (config.output_pin === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['output_pin'],
        message: `is required: the ${config.pin_numbering_scheme} number of the pin that drives the relay (e.g. 17)`,
      });
    }
    for (const key of ['output_pin', 'input_pin'] as const) {
      const pin = config[key];
      if (pin === undefined) continue;
      const resolved = resolvePin(config.pin_numbering_scheme as NumberingScheme, pin);
      if (typeof resolved === 'string') context.addIssue({ code: 'custom', path: [key], message: resolved });
    }
    if (config.input_pin !== undefined && config.input_pin === config.output_pin) {
      context.addIssue({ code: 'custom', path: ['input_pin'], message: 'must differ from output_pin' });
    }
  })
  .transform((config) => {
    const scheme = config.pin_numbering_scheme as NumberingScheme;
    const pin = (number: number) => resolvePin(scheme, number) as ResolvedPin;
    return {
      ...config,
      output: pin(config.output_pin!),
      input: config.input_pin === undefined ? undefined : pin(config.input_pin),
    };
  });
export type GpioConfig = z.infer<typeof GpioConfig>;
