/**
 * Values kept for one to two `ttlMs` periods: long enough for every subscriber of an event to ask
 * for the same result, short enough that nothing piles up. Two generations swapped on a timer make
 * expiry O(1) with no per-entry timers.
 */
export class ShortLivedCache {
  private current = new Map<string, unknown>();
  private previous = new Map<string, unknown>();
  private readonly timer: NodeJS.Timeout;

  constructor(ttlMs = 2_000) {
    this.timer = setInterval(() => {
      this.previous = this.current;
      this.current = new Map();
    }, ttlMs);
    this.timer.unref();
  }

  get<T>(key: string, create: () => T): T {
    let value = this.current.get(key) as T | undefined;
    if (value === undefined) {
      value = this.previous.get(key) as T | undefined;
      if (value === undefined) value = create();
      this.current.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.current.clear();
    this.previous.clear();
  }
}
