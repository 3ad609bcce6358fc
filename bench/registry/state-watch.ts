import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { noDelay } from '../lib/mqtt-bench.js';

/**
 * A subscriber to a hardware's unit states, as Home Assistant is (QoS 1, as the discovery configs ask): it counts
 * the states the registry published during a throughput run and, once the run is over, tells how long it took
 * until every unit's state showed the last update sent to it. The registry sends each unit's latest state, and
 * under overload skips intermediate ones; this checks that the latest one always arrives.
 */
export class StateWatch {
  received = 0;
  private readonly latest = new Map<string, string>();
  private readonly expected = new Map<string, string>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      // An empty payload is a retained state being cleared: a registry started on a fresh database removing the
      // states an earlier run left in the broker.
      if (payload.length === 0) return;
      this.received++;
      const device = topic.split('/')[3] ?? '';
      this.latest.set(device, (JSON.parse(payload.toString()) as { sValue: string }).sValue);
    });
  }

  static async start(url: string, hw: string): Promise<StateWatch> {
    const client = noDelay(await mqtt.connectAsync(url, { protocolVersion: 5 }));
    await client.subscribeAsync(`wattbus/devices/${hw}/+/1`, { qos: 1, rh: 2 });
    return new StateWatch(client);
  }

  /** Call when an update is sent; the last one per device is what its state must end up showing. */
  sent(deviceId: string, sValue: string): void {
    this.expected.set(deviceId, sValue);
  }

  private behind(): number {
    let count = 0;
    for (const [device, sValue] of this.expected) if (this.latest.get(device) !== sValue) count++;
    return count;
  }

  /**
   * Milliseconds from now until every unit's state showed its last update, or, after `timeoutMs`, how many units
   * still showed an older one.
   */
  async caughtUp(timeoutMs = 10_000): Promise<{ ms: number; behind: number }> {
    const started = performance.now();
    while (this.behind() > 0 && performance.now() - started < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { ms: performance.now() - started, behind: this.behind() };
  }

  async stop(): Promise<void> {
    await this.client.endAsync();
  }
}
