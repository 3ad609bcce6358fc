import { z } from 'zod';
import { Seconds } from './common.js';

/** `HH:MM` (24-hour clock), the simulated time of day at which the simulated source starts. */
const TimeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as "HH:MM", e.g. "11:30"');

const Deadband = z.number().finite().nonnegative('must be 0 (off) or more');

/**
 * `[sampler]`: where samples come from, how they are computed, and how results are published. docs/sampler.md
 * documents every key.
 */
export const SamplerSection = z
  .strictObject({
    /** `auto` uses the MCP3008 when its SPI device exists, else the simulator. */
    source: z
      .enum(['auto', 'simulated', 'mcp3008', 'replay'], {
        message: 'must be auto, simulated, mcp3008 or replay',
      })
      .default('auto'),
    /** `aligned` corrects the reference's read skew and window leakage; `compat` reproduces it bit for bit. */
    mode: z.enum(['aligned', 'compat'], { message: 'must be "aligned" or "compat"' }).default('aligned'),
    samples_per_batch: z
      .number()
      .int('must be a whole number')
      .min(50, 'must be at least 50')
      .max(20000, 'must be at most 20000')
      .default(500),

    spi_bus: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
    spi_device: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
    spi_speed_hz: z
      .number()
      .int('must be a whole number of Hz')
      .min(10_000, 'must be at least 10000 Hz')
      .max(3_600_000, 'must be at most 3600000 Hz (the MCP3008 maximum)')
      .default(1_750_000),
    /** Conversions per system call; Linux spidev accepts at most 511 transfers in one message. */
    spi_transfers_per_call: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(511, 'must be at most 511 (the spidev limit)')
      .default(255),

    replay_file: z.string().default(''),
    /** Start the capture again at its end instead of stopping (service only; the CLI reads a file once). */
    replay_loop: z.boolean().default(true),

    /** How many times faster than real time the simulated day runs. */
    simulation_speed: z
      .number()
      .positive('must be greater than 0')
      .max(100_000, 'must be at most 100000')
      .default(1),
    simulation_start: TimeOfDay.default('11:30'),
    simulation_seed: z.number().int('must be a whole number').default(1),
    /** Emulated ADC conversions per second (the reference reaches 18 000-20 000 on a Pi 4). */
    simulation_read_rate: z
      .number()
      .min(1000, 'must be at least 1000 reads per second')
      .max(200_000, 'must be at most 200000 reads per second')
      .default(20_000),
    /** Gaussian noise added to every emulated conversion, in ADC counts (RMS). */
    simulation_noise: z
      .number()
      .min(0, 'must be 0 or more counts')
      .max(50, 'must be at most 50 counts')
      .default(0.5),
    /** Fault injection for tests and demos: while this file exists, its text names the fault to emulate. */
    simulation_fault_file: z.string().default(''),

    energy_file: z.string().min(1, 'must not be empty').default('data/sampler/energy.json'),
    energy_persist_interval: Seconds.min(1, 'must be at least 1 second').default(60),
    energy_publish_interval: Seconds.min(1, 'must be at least 1 second').default(10),

    min_publish_interval: Seconds.default(0),
    max_publish_interval: Seconds.min(1, 'must be at least 1 second').default(60),
    power_deadband: Deadband.default(0),
    current_deadband: Deadband.default(0),
    voltage_deadband: Deadband.default(0),
    pf_deadband: Deadband.default(0),
    frequency_deadband: Deadband.default(0),
    /** MQTT 5 message expiry of retained readings in seconds; 0 picks a few publish periods automatically. */
    readings_expiry: Seconds.default(0),

    retry_initial_delay: Seconds.min(0.05, 'must be at least 0.05 seconds').default(1),
    retry_max_delay: Seconds.min(0.05, 'must be at least 0.05 seconds').default(60),
  })
  .superRefine((sampler, context) => {
    if (sampler.source === 'replay' && sampler.replay_file === '') {
      context.addIssue({
        code: 'custom',
        path: ['replay_file'],
        message: 'is required when source = "replay"',
      });
    }
    if (sampler.retry_max_delay < sampler.retry_initial_delay) {
      context.addIssue({
        code: 'custom',
        path: ['retry_max_delay'],
        message: 'must not be less than retry_initial_delay',
      });
    }
    if (sampler.max_publish_interval < sampler.min_publish_interval) {
      context.addIssue({
        code: 'custom',
        path: ['max_publish_interval'],
        message: 'must not be less than min_publish_interval',
      });
    }
  });
export type SamplerSection = z.infer<typeof SamplerSection>;
