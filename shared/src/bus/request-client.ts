import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { bridgeRequests } from '../contract/bridge.js';
import { describeZodError } from '../contract/payload.js';
import { pluginRequests } from '../contract/plugin-protocol.js';
import { topics } from '../contract/topics.js';
import type { Bus } from './bus.js';

type Operations = Record<string, { request: z.ZodType; response: z.ZodType }>;

/** A request the other side answered with `status: "error"`, or that got no answer in time. */
export class RequestError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    /** True when no response arrived in time (the other side may not be running), false when it refused. */
    readonly timedOut = false,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'RequestError';
  }
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  schema: z.ZodType;
  operation: string;
}

/**
 * Request/response over MQTT with transaction ids, for the plugin protocol and the bridge API. Each request gets a
 * unique transaction; the matching response resolves it, validated against the operation's response schema.
 */
export class RequestClient<Ops extends Operations> {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(4).toString('hex');
  private counter = 0;

  constructor(
    private readonly bus: Bus,
    private readonly operations: Ops,
    private readonly requestTopic: (operation: string) => string,
    subscribeResponses: (
      onResponse: (transaction: unknown, status: string, data: unknown, error?: string) => void,
    ) => void,
    private readonly timeoutMs = 10_000,
  ) {
    subscribeResponses((transaction, status, data, error) => this.settle(transaction, status, data, error));
  }

  async request<Op extends keyof Ops & string>(
    operation: Op,
    payload: z.input<Ops[Op]['request']>,
    timeoutMs = this.timeoutMs,
  ): Promise<z.infer<Ops[Op]['response']>> {
    const checked = this.operations[operation]!.request.safeParse(payload);
    if (!checked.success) throw new RequestError(operation, describeZodError(checked.error));
    const transaction = `${this.prefix}-${++this.counter}`;
    const response = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new RequestError(operation, `no response within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.pending.set(transaction, {
        resolve,
        reject,
        timer,
        schema: this.operations[operation]!.response,
        operation,
      });
    });
    // The answer (or cancelAll) may settle it while the publish below still waits for the broker: it is awaited
    // after that, so mark it handled now, or its rejection would count as unhandled and end the process.
    response.catch(() => {});
    const body = JSON.stringify({ ...(checked.data as object), transaction });
    await this.bus.publishRaw(this.requestTopic(operation), body, { qos: 1 });
    return (await response) as z.infer<Ops[Op]['response']>;
  }

  private settle(transaction: unknown, status: string, data: unknown, error?: string): void {
    const pending = typeof transaction === 'string' ? this.pending.get(transaction) : undefined;
    if (!pending) return;
    this.pending.delete(transaction as string);
    clearTimeout(pending.timer);
    if (status !== 'ok') {
      pending.reject(new RequestError(pending.operation, error ?? 'request failed'));
      return;
    }
    const parsed = pending.schema.safeParse(data);
    if (parsed.success) pending.resolve(parsed.data);
    else
      pending.reject(
        new RequestError(pending.operation, `invalid response: ${describeZodError(parsed.error)}`),
      );
  }

  /** Fails every request still waiting, e.g. on shutdown. */
  cancelAll(reason: string): void {
    for (const [transaction, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new RequestError(pending.operation, reason));
      this.pending.delete(transaction);
    }
  }
}

export type PluginRequestClient = RequestClient<typeof pluginRequests>;
export type BridgeRequestClient = RequestClient<typeof bridgeRequests>;

/** The client a plugin runner uses to talk to the registry about its own hardware `hw`. */
export function createPluginRequestClient(bus: Bus, hw: string, timeoutMs?: number): PluginRequestClient {
  return new RequestClient(
    bus,
    pluginRequests,
    (op) => bus.topic(topics.pluginRequest, { hw, op }),
    (onResponse) =>
      bus.subscribe(topics.pluginResponse, { hw }, (response) =>
        onResponse(response.transaction, response.status, response.data, response.error),
      ),
    timeoutMs,
  );
}

/** A client of the bridge API, for tools, tests and other services. */
export function createBridgeRequestClient(bus: Bus, timeoutMs?: number): BridgeRequestClient {
  return new RequestClient(
    bus,
    bridgeRequests,
    (path) => bus.topic(topics.bridgeRequest, { path }),
    (onResponse) =>
      bus.subscribe(topics.bridgeResponse, {}, (response) =>
        onResponse(response.transaction, response.status, response.data, response.error),
      ),
    timeoutMs,
  );
}
