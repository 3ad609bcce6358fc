import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, memory } from '../lib/proc-stats.js';
import { PublishTemplate, RawMqttClient } from './raw-mqtt.js';

/** A running broker under test: where to connect and which process to watch. */
export interface Target {
  name: string;
  port: number;
  pid: number;
}

export interface ThroughputOptions {
  publishers: number;
  subscribers: number;
  qos: 0 | 1;
  payloadBytes?: number;
  /** Seconds of load before measuring, and of measuring. */
  warmup?: number;
  measure?: number;
  /** QoS 1: messages in flight per publisher. */
  window?: number;
}

export interface ThroughputResult {
  /** Messages delivered to subscribers per second (fan-out counts each copy). */
  deliveries: number;
  /** Messages accepted from publishers per second (delivered / subscribers). */
  messages: number;
  /** CPU of the broker process during the measurement, in cores (1 = one core busy). */
  brokerCpu: number;
  /** CPU of this load generator during the measurement, in cores. */
  generatorCpu: number;
}

export interface LatencyResult {
  p50: number;
  p99: number;
  samples: number;
}

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));
let runs = 0;

async function connectAll(target: Target, prefix: string, count: number): Promise<RawMqttClient[]> {
  return await Promise.all(
    Array.from({ length: count }, (_, i) => RawMqttClient.connect(target.port, `${prefix}-${i}`)),
  );
}

/**
 * Publishers send as fast as the broker takes messages (TCP backpressure for QoS 0, a window of unacknowledged
 * messages for QoS 1); the rate is what the subscribers receive while measuring.
 */
export async function throughput(target: Target, options: ThroughputOptions): Promise<ThroughputResult> {
  const run = `bench/${target.name}-${++runs}`;
  const { qos, warmup = 0.4, measure = 1.2, window = 50 } = options;
  const subscribers = await connectAll(target, `${run}-sub`, options.subscribers);
  let delivered = 0;
  for (const subscriber of subscribers) {
    subscriber.onPublish = () => {
      delivered++;
    };
    await subscriber.subscribe(`${run}/#`, qos);
  }
  const publishers = await connectAll(target, `${run}-pub`, options.publishers);
  let running = true;
  const loops = publishers.map(async (publisher, index) => {
    const template = new PublishTemplate(`${run}/${index}`, options.payloadBytes ?? 64, qos);
    if (qos === 1) {
      let nextId = 1;
      const send = (count: number) => {
        if (!running) return;
        publisher.socket.write(template.batch(count, nextId, performance.now()));
        nextId = ((nextId + count - 1) % 65535) + 1;
      };
      publisher.onAcks = send;
      send(window);
      while (running) await sleep(50);
      return;
    }
    while (running) {
      await publisher.write(template.batch(32, 0, performance.now()));
      await yieldToIo();
    }
  });

  await sleep(warmup * 1000);
  const start = {
    delivered,
    at: performance.now(),
    broker: cpuSeconds(target.pid),
    generator: process.cpuUsage(),
  };
  await sleep(measure * 1000);
  const seconds = (performance.now() - start.at) / 1000;
  const count = delivered - start.delivered;
  const brokerCpu = (cpuSeconds(target.pid) - start.broker) / seconds;
  const generator = process.cpuUsage(start.generator);
  running = false;
  await Promise.all(loops);
  // A reset discards what the publishers still have in flight, so the next run does not start with this one's
  // backlog still being routed; then let the broker go quiet.
  for (const publisher of publishers) publisher.socket.resetAndDestroy();
  for (let settled = -1, waited = 0; settled !== delivered && waited < 3000; waited += 100) {
    settled = delivered;
    await sleep(100);
  }
  await Promise.all(subscribers.map((client) => client.close()));
  return {
    deliveries: count / seconds,
    messages: count / seconds / options.subscribers,
    brokerCpu,
    generatorCpu: (generator.user + generator.system) / 1e6 / seconds,
  };
}

export interface LatencyOptions {
  publishers: number;
  subscribers: number;
  qos: 0 | 1;
  /** Messages per second from each publisher. */
  rate: number;
  warmup?: number;
  measure?: number;
}

/** End-to-end latency (publisher write to subscriber parse) at a fixed, moderate rate. */
export async function latency(target: Target, options: LatencyOptions): Promise<LatencyResult> {
  const run = `bench/${target.name}-${++runs}`;
  const { qos, warmup = 0.3, measure = 1.5 } = options;
  const samples: number[] = [];
  let recording = false;
  const subscribers = await connectAll(target, `${run}-sub`, options.subscribers);
  for (const subscriber of subscribers) {
    subscriber.onPublish = (message) => {
      if (recording) samples.push(performance.now() - message.sentAt);
    };
    await subscriber.subscribe(`${run}/#`, qos);
  }
  const publishers = await connectAll(target, `${run}-pub`, options.publishers);
  const templates = publishers.map((_, index) => new PublishTemplate(`${run}/${index}`, 64, qos));
  const ids = publishers.map(() => 1);
  const tickMs = 5;
  let owed = 0;
  const timer = setInterval(() => {
    owed += (options.rate * tickMs) / 1000;
    const count = Math.floor(owed);
    owed -= count;
    if (count === 0) return;
    publishers.forEach((publisher, index) => {
      // One write per message, as a real client sends them, so each carries its own send time.
      for (let i = 0; i < count; i++) {
        publisher.socket.write(templates[index]!.batch(1, ids[index]!, performance.now()));
        ids[index] = (ids[index]! % 65535) + 1;
      }
    });
  }, tickMs);
  await sleep(warmup * 1000);
  recording = true;
  await sleep(measure * 1000);
  recording = false;
  clearInterval(timer);
  await sleep(100);
  await Promise.all([...publishers, ...subscribers].map((client) => client.close()));
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), samples: samples.length };
}

/** Opens `count` idle connections and reports the broker's memory with them open. */
export async function idleConnections(
  target: Target,
  count: number,
): Promise<{ before: number; rss: number; peak: number; connected: number }> {
  const before = memory(target.pid).rss;
  const clients: RawMqttClient[] = [];
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
        RawMqttClient.connect(target.port, `idle-${i + j}`, 300).catch(() => undefined),
      ),
    );
    for (const client of opened) if (client) clients.push(client);
  }
  await sleep(1500);
  const after = memory(target.pid);
  await Promise.all(clients.map((client) => client.close()));
  return { before, rss: after.rss, peak: after.peak, connected: clients.length };
}
