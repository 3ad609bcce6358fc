import type {
  BridgeSettings,
  Energy,
  PluginCommand,
  PluginEvent,
  PluginSection,
  Reading,
} from '@wattbus/shared';
import { EXIT_CONFIG } from '@wattbus/shared/config/errors.js';
import { z } from 'zod';

/**
 * The messages between the supervisor (which owns the MQTT connection) and the plugin process it forks. Plugin
 * code never touches the bus: everything it sends or receives passes through these messages.
 */

/** What the plugin process can subscribe to through the supervisor. */
export const Feed = z.enum(['readings', 'energy', 'settings']);
export type Feed = z.infer<typeof Feed>;

export interface InitMessage {
  kind: 'init';
  pluginId: string;
  /** The plugin folder name (`plugin = "..."`, default the id). */
  folder: string;
  pluginsDir: string;
  /** The plugin's `[plugins.<id>]` block as validated by the config loader. */
  block: PluginSection;
  logLevel: string;
  /** The version of the plugin runner, reported to Domoticz-style plugins as DomoticzVersion. */
  runnerVersion: string;
}

export type ToChild =
  | InitMessage
  | { kind: 'reading'; reading: Reading }
  | { kind: 'energy'; energy: Energy }
  | { kind: 'settings'; settings: BridgeSettings }
  | { kind: 'command'; command: PluginCommand }
  | { kind: 'event'; event: PluginEvent }
  | { kind: 'response'; id: number; ok: true; data: unknown }
  | { kind: 'response'; id: number; ok: false; error: string; timedOut?: boolean }
  | { kind: 'ping'; seq: number }
  | { kind: 'stop' };

/**
 * Messages from the plugin process. They are validated because plugin code runs in that process and could call
 * `process.send` itself.
 */
export const ToParent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('loaded'), style: z.enum(['power', 'domoticz']) }),
  z.object({ kind: z.literal('subscribe'), feeds: z.array(Feed).min(1) }),
  z.object({
    kind: z.literal('request'),
    id: z.number().int(),
    op: z.string().max(64),
    payload: z.record(z.string(), z.unknown()),
  }),
  z.object({ kind: z.literal('started') }),
  z.object({
    kind: z.literal('pong'),
    seq: z.number().int(),
    /** The callback running now and since when (epoch ms), so the supervisor can see a plugin stuck in one. */
    callback: z.string().max(200).optional(),
    since: z.number().optional(),
  }),
  /** Sent just before the plugin process exits on an error that a restart cannot fix. */
  z.object({ kind: z.literal('fatal'), reason: z.string().max(4000), permanent: z.boolean() }),
]);
export type ToParent = z.infer<typeof ToParent>;

/** Exit code of a plugin process that found a configuration or installation error (sysexits EX_CONFIG). */
export const EXIT_PERMANENT = EXIT_CONFIG;
