import { type Bus, type Logger, type ServiceState, topics } from '@wattbus/shared';
import type { Outputs } from '../registry/context.js';

/**
 * Knows which plugins are online from their retained state topics (their MQTT will makes them `offline` when a
 * runner dies), and relays each runner's lifecycle notices to `<base>/bridge/event`. The plugin id in a relayed
 * event always comes from the topic, so no plugin can speak for another.
 */
export class PluginPresence {
  private readonly states = new Map<string, ServiceState>();

  constructor(
    private readonly bus: Bus,
    private readonly outputs: Outputs,
    private readonly logger: Logger,
  ) {}

  isOnline = (hardware: string): boolean => this.states.get(hardware) === 'online';

  start(): void {
    this.bus.subscribe(topics.pluginState, {}, (state, { hw }, meta) => {
      const previous = this.states.get(hw);
      this.states.set(hw, state);
      if (previous === state) return;
      this.logger.info({ plugin: hw, state }, 'plugin state');
      // A stored `offline` seen at start is old news; a live one means the plugin just went away, but only if it
      // was online: a runner that starts publishes `offline` until its plugin runs, which is no news either (the
      // fault suite's crash-loop test saw plugin_offline for a plugin that had never been online).
      if (state === 'offline' && previous === 'online' && !meta.retain)
        this.outputs.bridgeEvent('plugin_offline', { plugin: hw });
      this.outputs.devicesChanged();
    });
    this.bus.subscribe(topics.pluginLifecycle, {}, (notice, { hw }, meta) => {
      if (meta.retain) return;
      this.outputs.bridgeEvent(notice.type, { ...notice.data, plugin: hw });
    });
  }
}
