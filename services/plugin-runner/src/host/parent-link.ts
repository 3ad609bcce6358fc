import type { BridgeSettings, Energy, PluginCommand, PluginEvent, Reading } from '@wattbus/shared';
import type { Feed, ToChild, ToParent } from '../ipc/messages.js';

/** A request the registry (or the supervisor on its behalf) refused or did not answer. */
export class RegistryRequestError extends Error {
  constructor(
    message: string,
    /** True when no answer came in time: the registry may simply not be running yet. */
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'RegistryRequestError';
  }
}

export interface FeedHandlers {
  reading?(reading: Reading): void;
  energy?(energy: Energy): void;
  settings?(settings: BridgeSettings): void;
  command?(command: PluginCommand): void;
  event?(event: PluginEvent): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
}

/** The plugin process's end of the link to its supervisor. */
export class ParentLink {
  readonly handlers: FeedHandlers = {};
  private readonly pending = new Map<number, Pending>();
  private readonly subscribed = new Set<Feed>();
  private nextId = 1;

  constructor(private readonly send: (message: ToParent) => void) {}

  /** Asks the supervisor to forward a feed; the latest value it holds arrives at once. */
  subscribe(...feeds: Feed[]): void {
    const fresh = feeds.filter((feed) => !this.subscribed.has(feed));
    if (fresh.length === 0) return;
    for (const feed of fresh) this.subscribed.add(feed);
    this.send({ kind: 'subscribe', feeds: fresh });
  }

  /** A plugin-protocol request to the registry, answered with the response's `data`. */
  request(op: string, payload: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ kind: 'request', id, op, payload });
    });
  }

  loaded(style: 'power' | 'domoticz'): void {
    this.send({ kind: 'loaded', style });
  }

  started(): void {
    this.send({ kind: 'started' });
  }

  pong(seq: number, current: { name: string; since: number } | undefined): void {
    this.send({ kind: 'pong', seq, callback: current?.name, since: current?.since });
  }

  fatal(reason: string, permanent: boolean): void {
    this.send({ kind: 'fatal', reason: reason.slice(0, 4000), permanent });
  }

  /** Routes a message from the supervisor. Returns false for messages the host handles itself (init, ping, stop). */
  handle(message: ToChild): boolean {
    switch (message.kind) {
      case 'response': {
        const pending = this.pending.get(message.id);
        if (!pending) return true;
        this.pending.delete(message.id);
        if (message.ok) pending.resolve(message.data);
        else pending.reject(new RegistryRequestError(message.error, message.timedOut === true));
        return true;
      }
      case 'reading':
        this.handlers.reading?.(message.reading);
        return true;
      case 'energy':
        this.handlers.energy?.(message.energy);
        return true;
      case 'settings':
        this.handlers.settings?.(message.settings);
        return true;
      case 'command':
        this.handlers.command?.(message.command);
        return true;
      case 'event':
        this.handlers.event?.(message.event);
        return true;
      default:
        return false;
    }
  }

  /** Fails every request still waiting, e.g. when the supervisor went away. */
  failAll(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new RegistryRequestError(reason, false));
    this.pending.clear();
  }
}
