import { filterMatches } from '@wattbus/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  text: string;
  retain: boolean;
}

/** A test client that records every message it receives, for `waitFor` and assertions. */
export class TestClient {
  readonly messages: ReceivedMessage[] = [];
  private waiters = new Set<{
    filter: string;
    predicate(message: ReceivedMessage): boolean;
    resolve(message: ReceivedMessage): void;
  }>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const message = { topic, payload, text: payload.toString('utf8'), retain: packet.retain };
      this.messages.push(message);
      for (const waiter of this.waiters) {
        if (filterMatches(waiter.filter, topic) && waiter.predicate(message)) {
          this.waiters.delete(waiter);
          waiter.resolve(message);
        }
      }
    });
  }

  static async connect(url: string, options: IClientOptions = {}): Promise<TestClient> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, ...options });
    return new TestClient(client);
  }

  async subscribe(filter: string | string[]): Promise<void> {
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  async publish(
    topic: string,
    payload: string | Buffer,
    options: { retain?: boolean; qos?: 0 | 1 } = {},
  ): Promise<void> {
    await this.client.publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
    });
  }

  /** The first message (already received or future) on a matching topic that satisfies the predicate. */
  waitFor(
    filter: string,
    predicate: (message: ReceivedMessage) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<ReceivedMessage> {
    const seen = this.messages.find((message) => filterMatches(filter, message.topic) && predicate(message));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.messages
          .slice(-10)
          .map((m) => `${m.topic} ${m.text.slice(0, 200)}`)
          .join('\n');
        reject(new Error(`no message on ${filter} within ${timeoutMs} ms; last messages:\n${recent}`));
      }, timeoutMs);
      const waiter = {
        filter,
        predicate,
        resolve: (message: ReceivedMessage) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Like waitFor, but parses the payload as JSON. */
  async waitForJson<T = Record<string, unknown>>(
    filter: string,
    predicate: (value: T) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<T> {
    const message = await this.waitFor(
      filter,
      (m) => {
        try {
          return predicate(JSON.parse(m.text) as T);
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
    return JSON.parse(message.text) as T;
  }

  clear(): void {
    this.messages.length = 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
