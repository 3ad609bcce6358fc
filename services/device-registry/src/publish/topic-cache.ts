/**
 * Values derived from topic strings (a request topic's parameters and response topic, a unit's state topic), kept
 * so that the hot path of every update does not parse or encode them again. Bounded, because request topics come
 * from outside: when full, it starts over.
 */
export class TopicCache<V = string> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly limit = 4096) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Stores and returns `value`. */
  set(key: string, value: V): V {
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
