import {
  type BridgeEventType,
  type BridgeSettings,
  type Bus,
  type Logger,
  type PluginEvent,
  parseTopic,
  topicFor,
  topics,
} from '@wattbus/shared';
import type { DiscoveryPublisher } from '../homeassistant/discovery-publisher.js';
import type { Outputs } from '../registry/context.js';
import { bridgeDevices, unitState } from '../registry/records.js';
import { type Unit, unitKey } from '../store/model.js';
import type { RegistryStore } from '../store/registry-store.js';
import { TopicCache } from './topic-cache.js';

/** How long `<base>/bridge/devices` waits to collect a burst of changes into one publication. */
const DEVICES_DEBOUNCE_MS = 250;

/**
 * Unit states sent and not yet acknowledged by the broker (QoS 1) beyond which changed units wait. While they wait,
 * a later change to the same unit replaces the earlier one, so when updates come faster than the broker takes
 * states, each retained state skips values that a newer update had already replaced in the database, instead of
 * the registry and the broker spending on stale states the CPU that the updates themselves need. Below it, each
 * commit's states leave at once. Why 100: with 1000, the 2 000-unit benchmark (docs/registry.md) measured the same
 * rate and registry CPU per update as with no limit (10-16 000 updates/s); with 100 it sent about one state per six
 * updates, reached 23-33 000/s, and every unit's latest state arrived within 160 ms of the last update.
 */
export const STATES_IN_FLIGHT = 100;

/**
 * The one place the registry's output goes through (Zigbee2MQTT's publishEntityState): retained unit state,
 * `<base>/bridge/devices` and `/settings`, events, and discovery. Unit state changes are collected per commit and
 * each unit is published once with its latest state, so a burst of updates to one unit costs one message; while
 * STATES_IN_FLIGHT states await the broker, changed units wait and keep only their latest state.
 */
export class MqttOutputs implements Outputs {
  private readonly dirty = new Map<string, { unit: Unit; definition: boolean }>();
  private readonly stateTopics = new TopicCache();
  private devicesTimer: NodeJS.Timeout | undefined;
  private statesInFlight = 0;
  private drainQueued = false;
  private stopped = false;
  isOnline: (hardware: string) => boolean = () => false;

  constructor(
    private readonly bus: Bus,
    private readonly store: RegistryStore,
    private readonly discovery: DiscoveryPublisher,
    private readonly settings: () => BridgeSettings,
    private readonly logger: Logger,
    private readonly statesInFlightLimit = STATES_IN_FLIGHT,
  ) {}

  private report = (what: string) => (error: unknown) =>
    this.logger.warn({ err: (error as Error).message }, `could not publish ${what}`);

  unitChanged(unit: Unit, definition: boolean): void {
    const key = unitKey(unit.hardwareKey, unit.deviceId, unit.unit);
    const pending = this.dirty.get(key);
    this.dirty.set(key, { unit, definition: definition || (pending?.definition ?? false) });
  }

  unitRemoved(unit: Unit): void {
    const key = unitKey(unit.hardwareKey, unit.deviceId, unit.unit);
    this.dirty.delete(key);
    this.bus.clearRetained(this.stateTopic(unit)).catch(this.report('a cleared unit state'));
    this.stateTopics.delete(key);
    this.discovery.unitRemoved(unit);
  }

  /**
   * Publishes the state of the units changed since the last flush (called after each commit), oldest change first,
   * as far as the limit on states in flight allows; the rest follow as the broker acknowledges. `all` ignores the
   * limit (stop).
   */
  flush(all = false): void {
    for (const [key, { unit, definition }] of this.dirty) {
      if (!all && this.statesInFlight >= this.statesInFlightLimit) return;
      this.dirty.delete(key);
      const current = this.store.findUnit(unit.hardwareKey, unit.deviceId, unit.unit);
      if (!current) continue;
      this.publishState(current, key);
      if (definition) this.discovery.unitChanged(current);
    }
  }

  /** Units whose latest state has not been sent yet. */
  get pendingStates(): number {
    return this.dirty.size;
  }

  private stateSettled = () => {
    this.statesInFlight--;
    if (this.dirty.size === 0 || this.drainQueued || this.stopped) return;
    // Once per read of acknowledgements, not once per acknowledgement, so the states leave together.
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      if (!this.stopped) this.flush();
    });
  };

  private stateTopic(unit: Unit, key = unitKey(unit.hardwareKey, unit.deviceId, unit.unit)): string {
    return (
      this.stateTopics.get(key) ??
      this.stateTopics.set(
        key,
        topicFor(topics.unitState, this.bus.roots, {
          hw: unit.hardwareKey,
          device: unit.deviceId,
          unit: unit.unit,
        }),
      )
    );
  }

  private publishState(unit: Unit, key?: string): void {
    const timedOut = this.store.hardware.get(unit.hardwareKey)?.devices.get(unit.deviceId)?.timedOut ?? false;
    // The hot path of every reading: the state is built by typed code from validated, stored values (the tests
    // check every kind against the UnitState schema), so it is not validated again here.
    this.statesInFlight++;
    this.bus
      .publishRaw(this.stateTopic(unit, key), JSON.stringify(unitState(unit, timedOut)), {
        retain: topics.unitState.retain,
        qos: topics.unitState.qos,
      })
      .catch(this.report('a unit state'))
      .finally(this.stateSettled);
  }

  /** Every unit's state, then the device list and settings: what a fresh start owes the broker. */
  publishAll(): void {
    for (const unit of this.store.allUnits()) this.publishState(unit);
    this.publishDevices();
    this.settingsChanged();
  }

  /**
   * Clears retained unit states under `<base>/devices/` whose unit is not in the database (deleted while the
   * broker kept the message, or a database restored from a backup), so retained state always agrees with it.
   */
  removeStaleStates(retained: Map<string, Buffer>): number {
    let removed = 0;
    for (const topic of retained.keys()) {
      const params = parseTopic(topics.unitState, this.bus.roots, topic);
      if (!params || this.store.findUnit(params.hw, params.device, params.unit)) continue;
      this.bus.clearRetained(topic).catch(this.report('a stale unit state'));
      removed++;
    }
    if (removed > 0) this.logger.info({ removed }, 'removed retained states of units that no longer exist');
    return removed;
  }

  devicesChanged(): void {
    if (this.devicesTimer) return;
    this.devicesTimer = setTimeout(() => {
      this.devicesTimer = undefined;
      this.publishDevices();
    }, DEVICES_DEBOUNCE_MS);
  }

  private publishDevices(): void {
    this.bus
      .publish(topics.bridgeDevices, {}, bridgeDevices(this.store.hardware.values(), this.isOnline))
      .catch(this.report('bridge/devices'));
  }

  settingsChanged(): void {
    this.bus.publish(topics.bridgeSettings, {}, this.settings()).catch(this.report('bridge/settings'));
  }

  pluginEvent(hardware: string, event: PluginEvent): void {
    this.bus.publish(topics.pluginEvent, { hw: hardware }, event).catch(this.report('a plugin event'));
  }

  bridgeEvent(type: BridgeEventType, data: Record<string, unknown>): void {
    this.bus.publish(topics.bridgeEvent, {}, { type, data }).catch(this.report('a bridge event'));
  }

  /** Sends every state still waiting, whatever is in flight, so a clean stop leaves the broker up to date. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.devicesTimer);
    this.devicesTimer = undefined;
    this.flush(true);
  }
}
