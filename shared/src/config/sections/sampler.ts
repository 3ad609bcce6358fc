import { z } from 'zod';
import { Seconds } from './common.js';

export const SamplerSection = z.strictObject({
  /** `auto` uses the MCP3008 when its SPI device exists, else the simulator. */
  source: z
    .enum(['auto', 'simulated', 'mcp3008', 'replay'], {
      message: 'must be auto, simulated, mcp3008 or replay',
    })
    .default('auto'),
  mode: z.enum(['aligned', 'compat'], { message: 'must be "aligned" or "compat"' }).default('aligned'),
  samples_per_batch: z.number().int().min(50).max(20000).default(500),
  spi_bus: z.number().int().min(0).default(0),
  spi_device: z.number().int().min(0).default(0),
  spi_speed_hz: z.number().int().min(10_000).max(3_600_000).default(1_750_000),
  replay_file: z.string().default(''),
  /** How many times faster than real time the simulated day runs. */
  simulation_speed: z.number().positive().max(100_000).default(1),
  energy_file: z.string().min(1).default('data/sampler/energy.json'),
  energy_persist_interval: Seconds.min(1).default(60),
  min_publish_interval: Seconds.default(0),
});
