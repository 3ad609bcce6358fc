/** What a field measures; each kind has its own deadband. */
export type FieldKind = 'power' | 'current' | 'voltage' | 'pf' | 'frequency';

export interface PublishGateSettings {
  /** Seconds: never publish one topic more often than this (0 = every batch). */
  minInterval: number;
  /** Seconds: with deadbands on, publish at least this often even when nothing moved. */
  maxInterval: number;
  /** Per kind; 0 ignores that kind. All 0 turns deadbands off: every batch is published. */
  deadbands: Record<FieldKind, number>;
}

/** Flat named values of one publication, e.g. `{ 'cts.1.power': 2126.5, voltage: 239.9 }`. */
export type FieldValues = Record<string, number | undefined>;

/** The kind of a field from the last part of its name (`cts.1.power` is a power). */
export function fieldKind(name: string): FieldKind | undefined {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return last === 'power' || last === 'current' || last === 'voltage' || last === 'pf' || last === 'frequency'
    ? last
    : undefined;
}

/**
 * Decides, per topic, whether a new value is worth publishing, like the reference's MQTT plugin: at most every
 * `minInterval`; with deadbands on, only when a field moved by at least its kind's deadband since the last
 * publication, or when `maxInterval` passed. The first value of a topic is always published.
 */
export class PublishGate {
  private readonly last = new Map<string, { at: number; values: FieldValues }>();
  readonly deadbandsOn: boolean;

  constructor(private readonly settings: PublishGateSettings) {
    this.deadbandsOn = Object.values(settings.deadbands).some((value) => value > 0);
  }

  /** True when `values` should be published on `key` at `now` (ms); the caller then publishes them. */
  offer(key: string, values: FieldValues, now: number): boolean {
    const previous = this.last.get(key);
    if (previous && !this.due(previous, values, now)) return false;
    this.last.set(key, { at: now, values: { ...values } });
    return true;
  }

  /** Forgets what was published, so the next value of every topic goes out (e.g. after a reconnect). */
  reset(): void {
    this.last.clear();
  }

  private due(previous: { at: number; values: FieldValues }, values: FieldValues, now: number): boolean {
    const elapsed = (now - previous.at) / 1000;
    if (elapsed < this.settings.minInterval) return false;
    if (!this.deadbandsOn || elapsed >= this.settings.maxInterval) return true;
    for (const [name, value] of Object.entries(values)) {
      const old = previous.values[name];
      if (value === undefined || old === undefined) {
        if (value !== old) return true;
        continue;
      }
      const kind = fieldKind(name);
      const deadband = kind ? this.settings.deadbands[kind] : 0;
      if (deadband > 0 && Math.abs(value - old) >= deadband) return true;
    }
    return false;
  }
}
