import type { EnabledChannel, WattbusConfig } from '@wattbus/shared';
import { spiDeviceExists } from '../adc/spi-device-bus.js';
import type { BatchSource } from './batch-source.js';
import { Mcp3008Source } from './mcp3008-source.js';
import { ReplaySource } from './replay-source.js';
import { SimulatedSource } from './simulated-source.js';

export type SourceKind = 'simulated' | 'mcp3008' | 'replay';

/** `auto` means the MCP3008 when its SPI device file exists, else the simulator. */
export function resolveSourceKind(sampler: WattbusConfig['sampler']): SourceKind {
  if (sampler.source !== 'auto') return sampler.source;
  return spiDeviceExists(sampler.spi_bus, sampler.spi_device) ? 'mcp3008' : 'simulated';
}

export interface SourceContext {
  config: WattbusConfig;
  channels: readonly EnabledChannel[];
  signal?: AbortSignal;
  /** Wait for each batch to take its real time (simulated and replay sources); off for a capture. */
  pace?: boolean;
  onWarning?: (message: string) => void;
}

export function createSource(kind: SourceKind, context: SourceContext): BatchSource {
  const { sampler, grid_voltage: grid } = context.config;
  switch (kind) {
    case 'mcp3008':
      return new Mcp3008Source({
        bus: sampler.spi_bus,
        device: sampler.spi_device,
        speedHz: sampler.spi_speed_hz,
        transfersPerCall: sampler.spi_transfers_per_call,
      });
    case 'replay':
      return new ReplaySource({
        file: sampler.replay_file,
        loop: sampler.replay_loop,
        pace: context.pace,
        signal: context.signal,
        onWarning: context.onWarning,
      });
    case 'simulated':
      return new SimulatedSource({
        grid,
        channels: context.channels,
        speed: sampler.simulation_speed,
        start: sampler.simulation_start,
        seed: sampler.simulation_seed,
        readRate: sampler.simulation_read_rate,
        noise: sampler.simulation_noise,
        transfersPerCall: sampler.spi_transfers_per_call,
        faultFile: sampler.simulation_fault_file,
        pace: context.pace,
        signal: context.signal,
      });
  }
}
