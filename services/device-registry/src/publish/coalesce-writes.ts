import type { MqttClient } from 'mqtt';

interface Corkable {
  cork(): void;
  uncork(): void;
  on(event: 'data', listener: () => void): unknown;
}

function isCorkable(stream: unknown): stream is Corkable {
  const candidate = stream as Partial<Corkable> | undefined;
  return typeof candidate?.cork === 'function' && typeof candidate.uncork === 'function';
}

/**
 * Everything the registry writes because of one read from the broker (a PUBACK per request, then, after the group
 * commit, every response and unit state) leaves in one `writev` at the end of that event-loop turn, instead of one
 * system call and one broker wake-up per few packets. The socket is corked when data arrives and uncorked by a
 * setImmediate queued after the group commit's own (which is queued by the first request of the read), so the
 * commit's output is included and nothing waits for a timer. Writes not caused by a read (timers) are not held.
 */
export function coalesceWrites(client: MqttClient): void {
  let held: Corkable | undefined;
  const release = () => {
    const stream = held;
    held = undefined;
    stream?.uncork();
  };
  let watched: unknown;
  client.on('connect', () => {
    const stream = client.stream as unknown;
    if (stream === watched || !isCorkable(stream)) return;
    watched = stream;
    stream.on('data', () => {
      if (held) return;
      stream.cork();
      held = stream;
      setImmediate(release);
    });
  });
}
