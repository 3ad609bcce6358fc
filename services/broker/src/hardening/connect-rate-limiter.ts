interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * A token bucket per remote address: `burst` connections at once, then `perSecond` on average. It stops one
 * misbehaving script (or a reconnect loop) from exhausting the broker's sockets and CPU (scrypt logins, TLS
 * handshakes) for everyone else. `perSecond` 0 turns it off.
 */
export class ConnectRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Takes one token for `address`; false when the address is over its rate. */
  admit(address: string | undefined): boolean {
    if (!this.enabled) return true;
    const key = address ?? 'unknown';
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= 10_000) this.sweep(now);
      bucket = { tokens: this.burst, updated: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updated) / 1000) * this.perSecond);
      bucket.updated = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets addresses whose bucket has refilled, so many one-off addresses cannot grow the map without bound. */
  private sweep(now: number): void {
    const refill = (this.burst / this.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updated >= refill) this.buckets.delete(key);
    }
    if (this.buckets.size >= 10_000) this.buckets.clear();
  }
}
