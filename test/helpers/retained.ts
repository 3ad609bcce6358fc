import type { IClientOptions } from 'mqtt';
import { TestClient } from './mqtt.js';

export interface RetainedOptions {
  /** Connection options, e.g. the username and password of a broker with anonymous access off. */
  clientOptions?: IClientOptions;
  /** Resolve once at least this many retained topics arrived and nothing new came for `quietMs`. */
  minCount?: number;
  quietMs?: number;
  timeoutMs?: number;
}

/**
 * The retained messages under `filters`, as a new subscriber (Home Assistant, a dashboard) sees them: topic to
 * payload text, empty payloads left out. A broker sends retained messages as a burst after the subscription, with
 * no end marker, so this waits for the burst to go quiet.
 */
export async function readRetainedTopics(
  url: string,
  filters: string[],
  options: RetainedOptions = {},
): Promise<Map<string, string>> {
  const { minCount = 1, quietMs = 600, timeoutMs = 15_000 } = options;
  const client = await TestClient.connect(url, options.clientOptions);
  try {
    await client.subscribe(filters);
    const retained = () => client.messages.filter((message) => message.retain && message.payload.length > 0);
    const deadline = Date.now() + timeoutMs;
    let count = -1;
    let quietSince = Date.now();
    for (;;) {
      const now = Date.now();
      const current = retained().length;
      if (current !== count) {
        count = current;
        quietSince = now;
      } else if (count >= minCount && now - quietSince >= quietMs) break;
      if (now > deadline) {
        throw new Error(
          `only ${count} retained messages (wanted ${minCount}) under ${filters.join(', ')} after ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return new Map(retained().map((message) => [message.topic, message.text]));
  } finally {
    await client.close();
  }
}
