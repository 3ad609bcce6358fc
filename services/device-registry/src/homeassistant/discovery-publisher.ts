import { type Bus, type HomeAssistantSection, type Logger, topicFor, topics } from '@wattbus/shared';
import { type Hardware, type Unit, unitKey } from '../store/model.js';
import { type DiscoveryMessage, discoveryConfigs } from './discovery-config.js';

export interface DiscoverySource {
  hardware(key: string): Hardware | undefined;
  units(): Iterable<Unit>;
}

/**
 * Publishes Home Assistant discovery: retained configs, republished only when they change, cleared when a unit
 * goes, cleaned up at start, and republished (after a random delay) whenever Home Assistant announces `online`.
 */
export class DiscoveryPublisher {
  /** Per unit, the config topics published and their payloads. */
  private readonly published = new Map<string, Map<string, string>>();
  private birthTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly settings: HomeAssistantSection,
    private readonly source: DiscoverySource,
    private readonly version: string,
    private readonly logger: Logger,
  ) {}

  private get registryStateTopic(): string {
    return topicFor(topics.registryState, this.bus.roots, {});
  }

  private messagesFor(unit: Unit): DiscoveryMessage[] {
    const hardware = this.source.hardware(unit.hardwareKey);
    if (!hardware) return [];
    return discoveryConfigs(
      { ...unit, hardware: unit.hardwareKey },
      { name: hardware.name },
      { roots: this.bus.roots, version: this.version, unusedUnits: this.settings.unused_units },
    );
  }

  private send(topic: string, payload: string): void {
    this.bus
      .publishRaw(topic, payload, { retain: true, qos: 1 })
      .catch((error: unknown) =>
        this.logger.warn({ topic, err: (error as Error).message }, 'discovery publish failed'),
      );
  }

  /** Publishes what changed in a unit's configs and clears configs it no longer has (its type changed). */
  unitChanged(unit: Unit, force = false): number {
    if (!this.settings.discovery) return 0;
    const key = unitKey(unit.hardwareKey, unit.deviceId, unit.unit);
    const previous = this.published.get(key) ?? new Map<string, string>();
    const next = new Map<string, string>();
    let sent = 0;
    for (const message of this.messagesFor(unit)) {
      const payload = JSON.stringify(message.config);
      next.set(message.topic, payload);
      if (force || previous.get(message.topic) !== payload) {
        this.send(message.topic, payload);
        sent++;
      }
    }
    for (const topic of previous.keys()) if (!next.has(topic)) this.send(topic, '');
    this.published.set(key, next);
    return sent;
  }

  unitRemoved(unit: Unit): void {
    const key = unitKey(unit.hardwareKey, unit.deviceId, unit.unit);
    for (const topic of this.published.get(key)?.keys() ?? []) this.send(topic, '');
    this.published.delete(key);
  }

  /** Publishes every unit's configs; returns how many configs were sent. */
  publishAll(force: boolean): number {
    let sent = 0;
    for (const unit of this.source.units()) sent += this.unitChanged(unit, force);
    return sent;
  }

  /** Republishes every config (after a delay) whenever Home Assistant announces itself `online`. */
  listenForBirth(): void {
    this.bus.subscribe(topics.homeAssistantStatus, {}, (status, _params, meta) => {
      if (status === 'online' && !meta.retain) this.scheduleRepublish();
    });
  }

  /**
   * Publishes every config, then clears the retained configs found at start (`retained`, from a scan of
   * `<prefix>/+/+/+/config`) that this installation owns (their availability includes this registry's state
   * topic) but no unit wants any more.
   */
  start(retained: Map<string, Buffer>): { removed: number; published: number } {
    const published = this.publishAll(false);
    const wanted = new Set<string>();
    for (const unitTopics of this.published.values())
      for (const topic of unitTopics.keys()) wanted.add(topic);
    let removed = 0;
    for (const [topic, payload] of retained) {
      if (wanted.has(topic) || !this.owns(payload)) continue;
      this.send(topic, '');
      removed++;
    }
    if (removed > 0) this.logger.info({ removed }, 'removed discovery configs that are no longer wanted');
    return { removed, published };
  }

  private owns(payload: Buffer): boolean {
    try {
      const config = JSON.parse(payload.toString('utf8')) as { availability?: { topic?: unknown }[] };
      return (
        Array.isArray(config.availability) &&
        config.availability.some((entry) => entry?.topic === this.registryStateTopic)
      );
    } catch {
      return false;
    }
  }

  /** Home Assistant restarted: send every config again after a random delay, spreading the load on the broker. */
  scheduleRepublish(): void {
    if (this.birthTimer || !this.settings.discovery) return;
    const { birth_delay_min: min, birth_delay_max: max } = this.settings;
    const delayMs = Math.round((min + Math.random() * (max - min)) * 1000);
    this.logger.info({ delayMs }, 'Home Assistant is online; republishing discovery after a delay');
    this.birthTimer = setTimeout(() => {
      this.birthTimer = undefined;
      const sent = this.publishAll(true);
      this.logger.info({ sent }, 'republished discovery');
    }, delayMs);
  }

  stop(): void {
    clearTimeout(this.birthTimer);
    this.birthTimer = undefined;
  }
}
