import type { BatchLayout } from '../adc/mcp3008.js';
import type { RawBatch } from '../raw-batch.js';

/**
 * Where batches come from: the MCP3008, the emulated board of the simulated household, or a capture file.
 * `read` also paces the source: it resolves when the batch would be complete in real time.
 * Errors are `AdcFault`s; the sampling loop closes the source, backs off and opens it again.
 */
export interface BatchSource {
  readonly kind: 'mcp3008' | 'simulated' | 'replay';
  /** For logs and fault events, e.g. "/dev/spidev0.0". */
  readonly description: string;
  open(): Promise<void>;
  read(layout: BatchLayout): Promise<RawBatch>;
  close(): Promise<void>;
}
