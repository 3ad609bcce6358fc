import { performance } from 'node:perf_hooks';
import {
  Bus,
  createLogger,
  createPluginRequestClient,
  MqttSection,
  type PluginRequestClient,
  topicFor,
  topics,
} from '@wattbus/shared';
import { percentile } from '../lib/proc-stats.js';

/**
 * Plugin-side load on the device registry: a few hardware entries (one MQTT connection each, speaking the plugin
 * protocol through the shared request client like a plugin runner does) that own `units` kWh units between them and
 * update them at a fixed offered rate. Every update is a durable write in the registry and a retained state
 * publish; an update counts once the registry has acknowledged it (after its commit).
 */
export interface UnitLoadOptions {
  brokerUrl: string;
  units: number;
  hardware: number;
  /** Updates per second offered (spread evenly over the units, round-robin). */
  rate: number;
  /** Updates that may wait for their acknowledgement at once; beyond it the client skips (and counts) ticks. */
  maxInFlight?: number;
}

export interface UnitLoadWindow {
  seconds: number;
  offered: number;
  acknowledged: number;
  failed: number;
  /** Updates not sent because maxInFlight were already waiting (the registry fell behind). */
  skipped: number;
  /** Request to acknowledgement, ms. */
  p50: number;
  p99: number;
  firstError?: string;
}

interface Hardware {
  id: string;
  bus: Bus;
  client: PluginRequestClient;
}

const TICK_MS = 10;

export class UnitLoad {
  private readonly hardware: Hardware[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private next = 0;
  private owed = 0;
  private lastTick = 0;
  private window = this.emptyWindow();
  private windowStart = performance.now();
  private latencies: number[] = [];

  private constructor(private readonly options: UnitLoadOptions) {}

  static async connect(options: UnitLoadOptions): Promise<UnitLoad> {
    const load = new UnitLoad(options);
    const logger = createLogger({ service: 'bench-unit-load', level: 'warn' });
    const mqtt = MqttSection.parse({ url: options.brokerUrl });
    for (let h = 0; h < options.hardware; h++) {
      const id = `load_units_${h}`;
      const bus = Bus.connect({
        service: `bench-${id}`,
        mqtt,
        stateTopic: topicFor(
          topics.pluginState,
          { base: mqtt.base_topic, discovery: 'homeassistant' },
          { hw: id },
        ),
        logger,
      });
      await bus.waitUntilConnected();
      load.hardware.push({ id, bus, client: createPluginRequestClient(bus, id, 30_000) });
    }
    return load;
  }

  private unitAt(index: number): { hw: Hardware; deviceId: string } {
    const hw = this.hardware[index % this.hardware.length]!;
    return { hw, deviceId: `meter${String(Math.floor(index / this.hardware.length)).padStart(4, '0')}` };
  }

  /** Announces the hardware and creates the units (or finds them), `concurrency` requests at a time. */
  async createUnits(concurrency = 200): Promise<number> {
    const started = performance.now();
    for (const hw of this.hardware) {
      await hw.client.request('hardware/announce', {
        plugin: 'bench_units',
        name: hw.id,
        layout: 'extended',
      });
    }
    let index = 0;
    const worker = async () => {
      while (index < this.options.units) {
        const { hw, deviceId } = this.unitAt(index++);
        await hw.client.request('unit/create', {
          deviceId,
          unit: 1,
          name: `Meter ${deviceId}`,
          typeName: 'kWh',
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return (performance.now() - started) / 1000;
  }

  /** Starts offering updates at the configured rate. */
  start(): void {
    this.resetWindow();
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    // From the time elapsed, not the tick count: on a busy machine timers fire late, and the rate must hold.
    const now = performance.now();
    this.owed += (this.options.rate * (now - this.lastTick)) / 1000;
    this.lastTick = now;
    const count = Math.floor(this.owed);
    this.owed -= count;
    const maxInFlight = this.options.maxInFlight ?? 5000;
    for (let i = 0; i < count; i++) {
      if (this.inFlight >= maxInFlight) {
        this.window.skipped++;
        continue;
      }
      this.send();
    }
  }

  private send(): void {
    const step = this.next++;
    const { hw, deviceId } = this.unitAt(step % this.options.units);
    const round = Math.floor(step / this.options.units);
    // kWh: "<power W>;<energy Wh>", the energy growing with every round.
    const sValue = `${(step % 3000) + 100};${round * 10 + (step % 10)}`;
    this.inFlight++;
    this.window.offered++;
    const sentAt = performance.now();
    const window = this.window;
    hw.client.request('unit/update', { deviceId, unit: 1, changes: { sValue } }).then(
      () => {
        this.inFlight--;
        if (window !== this.window) return;
        window.acknowledged++;
        this.latencies.push(performance.now() - sentAt);
      },
      (error: Error) => {
        this.inFlight--;
        if (window !== this.window) return;
        window.failed++;
        window.firstError ??= error.message;
      },
    );
  }

  private emptyWindow(): UnitLoadWindow {
    return { seconds: 0, offered: 0, acknowledged: 0, failed: 0, skipped: 0, p50: 0, p99: 0 };
  }

  /** Starts a new measurement window; updates still in flight from before are not counted in it. */
  resetWindow(): void {
    this.window = this.emptyWindow();
    this.latencies = [];
    this.windowStart = performance.now();
  }

  /** The figures of the current window so far. */
  measure(): UnitLoadWindow {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      ...this.window,
      seconds: (performance.now() - this.windowStart) / 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }

  /** Stops offering, waits (bounded) for what is in flight, and disconnects. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (let waited = 0; this.inFlight > 0 && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(this.hardware.map((hw) => hw.bus.close()));
  }
}
