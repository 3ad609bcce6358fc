import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttSection } from '../config/sections/mqtt.js';
import { type Decoded, decodePayload, encodePayload } from '../contract/payload.js';
import type { ServiceState } from '../contract/primitives.js';
import {
  filterFor,
  filterMatches,
  type PayloadOf,
  parseTopic,
  type TopicDefinition,
  type TopicParams,
  type TopicRoots,
  topicFor,
} from '../contract/topics.js';
import type { Logger } from '../log/logger.js';

export interface BusOptions {
  /** Service name; the default client id is `wattbus-<service>`. */
  service: string;
  mqtt: MqttSection;
  /** Home Assistant's discovery prefix, for services that publish or read discovery topics. */
  discoveryPrefix?: string;
  /** The retained `online`/`offline` topic of this service: the will is `offline`. */
  stateTopic?: string;
  /** `auto` publishes `online` on every connect; `manual` waits for `setState('online')`. */
  birth?: 'auto' | 'manual';
  logger: Logger;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
  /** MQTT 5 message expiry in seconds, so a stale retained value disappears. Ignored on MQTT 3.1.1. */
  messageExpiry?: number;
}

export interface MessageMeta {
  topic: string;
  retain: boolean;
  packet: IPublishPacket;
}

export type Unsubscribe = () => void;
type RawHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>;

interface Subscription {
  filter: string;
  qos: 0 | 1;
  handler: RawHandler;
  retainAsPublished: boolean;
}

export interface SubscribeOptions {
  /**
   * MQTT 5 "retain as published": a live message keeps the retain flag its publisher set, so a subscriber can
   * refuse messages published with retain (e.g. commands). On MQTT 3.1.1 only messages from the broker's store
   * carry the flag.
   */
  retainAsPublished?: boolean;
}

interface RetainedEntry {
  payload: string;
  qos: 0 | 1;
  expiresAt: number | undefined;
}

function ignoreLog(): void {}

function tlsOptions(settings: MqttSection): Partial<IClientOptions> {
  const options: Partial<IClientOptions> = { rejectUnauthorized: settings.reject_unauthorized };
  if (settings.ca_file) options.ca = readFileSync(settings.ca_file);
  if (settings.cert_file) options.cert = readFileSync(settings.cert_file);
  if (settings.key_file) options.key = readFileSync(settings.key_file);
  return options;
}

/**
 * One MQTT connection per service, with the behaviour the contract requires of every service:
 * - the will is `offline` on the service's state topic, and `online` is published after each connect;
 * - subscriptions are made again after every reconnect (also when the broker forgot the session);
 * - everything retained that this service published is published again after a reconnect, so a broker that lost
 *   its store heals;
 * - payloads are validated on the way in and out through the contract's schemas.
 */
export class Bus {
  readonly roots: TopicRoots;
  readonly client: MqttClient;
  private readonly subscriptions = new Set<Subscription>();
  private readonly retained = new Map<string, RetainedEntry>();
  private readonly logger: Logger;
  private state: ServiceState;
  private connectCount = 0;
  private closing = false;

  private constructor(private readonly options: BusOptions) {
    this.logger = options.logger;
    this.roots = { base: options.mqtt.base_topic, discovery: options.discoveryPrefix ?? 'homeassistant' };
    this.state = options.birth === 'manual' ? 'offline' : 'online';
    const settings = options.mqtt;
    this.client = mqtt.connect(settings.url, {
      clientId: settings.client_id || `wattbus-${options.service}`,
      username: settings.username || undefined,
      password: settings.password || undefined,
      protocolVersion: settings.protocol_version,
      keepalive: settings.keepalive,
      reconnectPeriod: Math.round(settings.reconnect_period * 1000),
      connectTimeout: 10_000,
      clean: true,
      // Subscriptions are restored by this class after every connect, so the broker's session is not relied on.
      resubscribe: false,
      // A reading queued while offline is stale by the time it would be sent.
      queueQoSZero: false,
      // mqtt-packet otherwise pre-builds a Buffer for each of the 65 536 packet ids: 6 MB of heap in every
      // process, which matters with one plugin runner per plugin.
      writeCache: false,
      // mqtt.js logs through `debug` about ten times per packet, and each call gathers its arguments even when
      // nothing is printed: a measurable share of a busy service's CPU. Its own logging stays available with DEBUG.
      log: process.env.DEBUG ? undefined : ignoreLog,
      will: options.stateTopic
        ? { topic: options.stateTopic, payload: Buffer.from('offline'), qos: 1, retain: true }
        : undefined,
      ...tlsOptions(settings),
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    this.client.on('error', (error) => this.logger.warn({ err: error.message }, 'MQTT connection error'));
    this.client.on('offline', () => {
      if (!this.closing) this.logger.warn({ url: settings.url }, 'MQTT broker unreachable; reconnecting');
    });
  }

  static connect(options: BusOptions): Bus {
    return new Bus(options);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Resolves once connected; rejects after `timeoutMs` so a caller can report an unreachable broker. */
  async waitUntilConnected(timeoutMs = 30_000): Promise<void> {
    if (this.client.connected) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('connect', onConnect);
        reject(new Error(`no connection to ${this.options.mqtt.url} after ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('connect', onConnect);
    });
  }

  private onConnect(): void {
    // Nagle's algorithm holds a small packet until the previous one is acknowledged, and the peer delays that
    // acknowledgement by up to 40 ms: every request/response and command hop would wait for it. MQTT packets are
    // small and latency matters more than packet count, so send each at once (TCP and TLS sockets; WebSocket
    // streams have no such switch).
    (this.client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
    this.connectCount++;
    const reconnect = this.connectCount > 1;
    this.logger.info({ url: this.options.mqtt.url, reconnect }, 'connected to MQTT broker');
    for (const subscription of this.subscriptions) this.sendSubscribe(subscription);
    if (this.options.stateTopic) this.sendState();
    if (reconnect) this.republishRetained();
  }

  private sendSubscribe(subscription: Subscription): void {
    const options = subscription.retainAsPublished && this.isMqtt5 ? { rap: true } : {};
    this.client.subscribe(subscription.filter, { qos: subscription.qos, ...options }, (error, granted) => {
      if (error) this.logger.error({ filter: subscription.filter, err: error.message }, 'subscribe failed');
      else if (granted?.some((grant) => grant.qos === 128)) {
        this.logger.error({ filter: subscription.filter }, 'broker refused the subscription (access rules?)');
      }
    });
  }

  private sendState(): void {
    this.client.publish(this.options.stateTopic!, this.state, { qos: 1, retain: true });
  }

  private republishRetained(): void {
    const now = Date.now();
    let count = 0;
    for (const [topic, entry] of this.retained) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) continue;
      const properties =
        entry.expiresAt !== undefined && this.isMqtt5
          ? { messageExpiryInterval: Math.max(1, Math.round((entry.expiresAt - now) / 1000)) }
          : undefined;
      this.client.publish(topic, entry.payload, { qos: entry.qos, retain: true, properties });
      count++;
    }
    if (count > 0) this.logger.info({ count }, 'republished retained topics after reconnect');
  }

  private get isMqtt5(): boolean {
    return this.options.mqtt.protocol_version === 5;
  }

  /** Sets this service's state topic (`online` / `offline`); it is restored after every reconnect. */
  async setState(state: ServiceState): Promise<void> {
    this.state = state;
    if (this.options.stateTopic && this.client.connected) {
      await this.client.publishAsync(this.options.stateTopic, state, { qos: 1, retain: true });
    }
  }

  topic<T extends TopicDefinition>(definition: T, params: TopicParams<T>): string {
    return topicFor(definition, this.roots, params);
  }

  /** Publishes a payload validated against the contract, with the topic's retain and QoS unless overridden. */
  async publish<T extends TopicDefinition>(
    definition: T,
    params: TopicParams<T>,
    payload: PayloadOf<T>,
    options: PublishOptions = {},
  ): Promise<void> {
    const topic = topicFor(definition, this.roots, params);
    await this.publishRaw(topic, encodePayload(definition, payload), {
      retain: options.retain ?? definition.retain,
      qos: options.qos ?? definition.qos,
      messageExpiry: options.messageExpiry,
    });
  }

  /**
   * Publishes an already encoded payload. Retained payloads are remembered and republished after a reconnect.
   * Resolves when the broker has the message (QoS 1) or it has been written (QoS 0); while disconnected, QoS 1
   * messages wait in the client's queue and QoS 0 messages are dropped.
   */
  async publishRaw(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const retain = options.retain ?? false;
    const qos = options.qos ?? 0;
    const expiry = options.messageExpiry;
    if (retain) {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (text === '') this.retained.delete(topic);
      else
        this.retained.set(topic, {
          payload: text,
          qos,
          expiresAt: expiry ? Date.now() + expiry * 1000 : undefined,
        });
    }
    if (qos === 0 && !this.client.connected) return;
    const properties = expiry && this.isMqtt5 ? { messageExpiryInterval: Math.round(expiry) } : undefined;
    await this.client.publishAsync(topic, payload, { qos, retain, properties });
  }

  /** Removes a retained message (an empty retained payload) and stops republishing it. */
  async clearRetained(topic: string): Promise<void> {
    await this.publishRaw(topic, '', { retain: true, qos: 1 });
  }

  /** The retained topics this service currently owns. */
  ownedRetainedTopics(): string[] {
    return [...this.retained.keys()];
  }

  /**
   * Subscribes to a contract topic. The handler receives validated payloads and decoded topic parameters; a
   * payload that fails validation goes to `onInvalid` (default: a warning naming the reason), never to the handler.
   */
  subscribe<T extends TopicDefinition>(
    definition: T,
    params: Partial<TopicParams<T>>,
    handler: (payload: PayloadOf<T>, params: TopicParams<T>, meta: MessageMeta) => void | Promise<void>,
    onInvalid?: (
      error: string,
      meta: MessageMeta,
      params: TopicParams<T> | undefined,
    ) => void | Promise<void>,
    options: SubscribeOptions = {},
  ): Unsubscribe {
    const filter = filterFor(definition, this.roots, params);
    const reject =
      onInvalid ??
      ((error: string, meta: MessageMeta) =>
        this.logger.warn({ topic: meta.topic, error }, 'rejected invalid message'));
    return this.subscribeRaw(
      filter,
      async (topic, payload, packet) => {
        const meta: MessageMeta = { topic, retain: packet.retain, packet };
        const topicParams = parseTopic(definition, this.roots, topic);
        if (!topicParams)
          return reject(
            `topic ${JSON.stringify(topic)} does not match ${definition.pattern}`,
            meta,
            undefined,
          );
        const decoded: Decoded<PayloadOf<T>> = decodePayload(definition, payload);
        if (!decoded.ok) return reject(decoded.error, meta, topicParams);
        return handler(decoded.value, topicParams, meta);
      },
      definition.qos,
      options,
    );
  }

  /** Subscribes to a raw filter; messages whose handler throws are logged, never fatal. */
  subscribeRaw(
    filter: string,
    handler: RawHandler,
    qos: 0 | 1 = 1,
    options: SubscribeOptions = {},
  ): Unsubscribe {
    const subscription: Subscription = {
      filter,
      qos,
      handler,
      retainAsPublished: options.retainAsPublished ?? false,
    };
    this.subscriptions.add(subscription);
    if (this.client.connected) this.sendSubscribe(subscription);
    return () => {
      this.subscriptions.delete(subscription);
      const stillWanted = [...this.subscriptions].some((other) => other.filter === filter);
      if (!stillWanted && this.client.connected) this.client.unsubscribe(filter);
    };
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    for (const subscription of this.subscriptions) {
      if (!filterMatches(subscription.filter, topic)) continue;
      try {
        const result = subscription.handler(topic, payload, packet);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.reportHandlerError(topic, error));
      } catch (error) {
        this.reportHandlerError(topic, error);
      }
    }
  }

  private reportHandlerError(topic: string, error: unknown): void {
    this.logger.error(
      { topic, err: error instanceof Error ? error : String(error) },
      'message handler failed',
    );
  }

  /** Publishes `offline` on the state topic and disconnects cleanly (a clean disconnect sends no will). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.options.stateTopic && this.client.connected) {
      try {
        await withTimeout(
          this.client.publishAsync(this.options.stateTopic, 'offline', { qos: 1, retain: true }),
          2000,
        );
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'could not publish offline state');
      }
    }
    await withTimeout(this.client.endAsync(), 3000).catch(() => this.client.end(true));
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
