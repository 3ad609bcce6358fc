import { z } from 'zod';
import { BaseTopic, Port, Seconds } from './common.js';

/** A Domoticz Settings key (`Title`, `Language`, ...) and its string value. */
const SettingsTable = z.record(
  z.string().min(1).max(100, 'must be at most 100 characters'),
  z.string().max(1000, 'must be at most 1000 characters'),
);

export const RegistrySection = z.strictObject({
  database: z.string().min(1).default('data/registry/registry.db'),
  /**
   * SQLite's `synchronous` in WAL mode. `normal` (the default): every acknowledged change survives a crash or
   * kill of the process, and the database stays consistent on a power cut, which may lose the last commits; the
   * disk is synced at checkpoints only (far less SD-card wear, no sync wait per commit). `full` also syncs every
   * commit, so acknowledged changes survive a power cut too. Writes are grouped into one commit per burst either way.
   */
  synchronous: z.enum(['full', 'normal'], { message: 'must be "full" or "normal"' }).default('normal'),
  /** The most changes one commit groups together; larger bursts are split into several commits. */
  max_batch: z.number().int().min(1, 'must be at least 1').max(100_000).default(5000),
  /** Caps the database size in MiB (SD cards are small); 0 means no cap. A full database makes the registry degraded. */
  max_database_mb: z.number().int().min(0, 'must be 0 (no cap) or more').default(0),
  /**
   * Meters (kWh, counters, P1, gas, usage) write an automatic history row at most this often, like Domoticz's
   * 5-minute short log, unless a unit sets `DisableLogAutoUpdate`. 0 turns automatic history off.
   */
  history_interval: Seconds.default(300),
  /** History rows older than this are removed once a day; 0 keeps them forever. */
  history_retention_days: z.number().int().min(0).default(365),
  /**
   * `EnergyMeterMode` "Calculated" integrates power between two updates. A gap longer than this (the plugin was
   * stopped, say) is not integrated, so a stale power value never invents energy.
   */
  energy_integration_max_gap: Seconds.default(300),
  http_host: z.string().min(1).default('127.0.0.1'),
  /** 0 turns the HTTP API off. */
  http_port: Port.default(8088),
  /** When set, every HTTP request must carry `Authorization: Bearer <token>`. */
  http_token: z.string().default(''),
  /** Domoticz's `Settings["Title"]` and `Settings["Language"]`, the defaults of the live settings map. */
  title: z.string().min(1).max(1000).default('wattbus'),
  language: z.string().min(1).max(100).default('en'),
  /** More default Settings keys, e.g. `settings = { MaxElectricPower = "6000" }`. Values set through the bridge win. */
  settings: SettingsTable.default({}),
});
export type RegistrySection = z.infer<typeof RegistrySection>;

export const HomeAssistantSection = z
  .strictObject({
    discovery: z.boolean().default(true),
    prefix: BaseTopic.default('homeassistant'),
    /**
     * At start the registry reads the retained discovery configs for this long and removes the ones it owns that
     * are no longer wanted (deleted units, or every one when discovery is off).
     */
    cleanup_scan_seconds: Seconds.max(120).default(5),
    /** After Home Assistant announces `online`, configs are republished after a random delay in this range. */
    birth_delay_min: Seconds.max(600).default(5),
    birth_delay_max: Seconds.max(600).default(30),
    /**
     * Units that are not marked Used: `enabled` (shown like any other), `disabled` (created disabled in Home
     * Assistant, the closest match to Domoticz's "Devices page only") or `hidden` (no discovery at all).
     */
    unused_units: z
      .enum(['enabled', 'disabled', 'hidden'], { message: 'must be "enabled", "disabled" or "hidden"' })
      .default('enabled'),
  })
  .refine((section) => section.birth_delay_min <= section.birth_delay_max, {
    message: 'birth_delay_min must not be greater than birth_delay_max',
    path: ['birth_delay_min'],
  });
export type HomeAssistantSection = z.infer<typeof HomeAssistantSection>;
