/** A consumer that takes a queue's items as they come (DirectStream) instead of pulling with next(). */
export interface QueueConsumer {
  /** Items are waiting, or the queue ended: take what fits with `poll()`. Runs inside `push`, synchronously. */
  readable(): void;
}

/**
 * A bounded push-to-pull queue that is an AsyncIterator: feeds push, graphql-ws pulls one item
 * per message it has finished sending. `return()` takes effect at once, even while a `next()` is
 * waiting (an async generator would only stop at its next event, keeping its listener until then).
 * When more than `limit` items wait, the consumer is too slow: the queue ends and `onOverflow`
 * runs (it closes the socket), so a stuck client never grows the process's memory.
 *
 * A consumer may instead `consume()` the queue: it is called on each push and takes items with
 * `poll()`, synchronously, so a delivery costs no promise; what it does not take waits here, under
 * the same bound.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private consumer: QueueConsumer | null = null;
  private lowWater: { size: number; resolve: () => void } | null = null;
  private failure: unknown = null;
  private done = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    /** Runs once when the queue ends for any reason: release listeners here. */
    private readonly onEnd: () => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  get ended(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    this.consumer?.readable();
    if (this.items.length > this.limit) {
      this.finish();
      this.onOverflow();
    }
  }

  /** Ends the stream with an error, after the items already queued. */
  fail(error: unknown): void {
    if (this.done) return;
    this.failure = error;
    if (this.waiting && !this.items.length) {
      const { reject } = this.waiting;
      this.waiting = null;
      this.finish();
      reject(error);
    }
    this.consumer?.readable();
  }

  /** Resolves when at most `size` items wait (or the queue ended): how a replay paces itself. */
  whenAtMost(size: number): Promise<void> {
    if (this.done || this.items.length <= size) return Promise.resolve();
    return new Promise((resolve) => (this.lowWater = { size, resolve }));
  }

  /** Hands every later push (and the end) to `consumer`, which takes items with `poll()`; instead of next(). */
  consume(consumer: QueueConsumer): void {
    this.consumer = consumer;
    if (this.items.length || this.done || this.failure !== null) consumer.readable();
  }

  /** next() without waiting: the next item, the end, or null when nothing is there yet; throws the failure. */
  poll(): IteratorResult<T> | null {
    if (this.items.length) {
      const value = this.items.shift()!;
      if (this.lowWater && this.items.length <= this.lowWater.size) this.releaseLowWater();
      return { value, done: false };
    }
    if (this.failure !== null && !this.done) {
      const error = this.failure;
      this.finish();
      throw error;
    }
    if (this.done) return { value: undefined, done: true };
    return null;
  }

  next(): Promise<IteratorResult<T>> {
    let item: IteratorResult<T> | null;
    try {
      item = this.poll();
    } catch (error) {
      return Promise.reject(error);
    }
    if (item) return Promise.resolve(item);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private releaseLowWater() {
    const lowWater = this.lowWater;
    this.lowWater = null;
    lowWater?.resolve();
  }

  private finish() {
    if (this.done) return;
    this.done = true;
    this.items.length = 0;
    this.releaseLowWater();
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
    this.onEnd();
    this.consumer?.readable();
  }
}

/**
 * An EventQueue fed from any async iterator, one item at a time (the iterator keeps its own pacing),
 * for consumers that only take EventQueues. Ending the queue ends the iterator.
 */
export function queueFrom<T>(source: AsyncIterator<T>): EventQueue<T> {
  if (source instanceof EventQueue) return source as EventQueue<T>;
  const queue = new EventQueue<T>(Number.POSITIVE_INFINITY, () => undefined, () => void source.return?.());
  void (async () => {
    try {
      for (;;) {
        await queue.whenAtMost(0);
        if (queue.ended) return;
        const item = await source.next();
        if (item.done) return void queue.return();
        queue.push(item.value);
      }
    } catch (error) {
      queue.fail(error);
    }
  })();
  return queue;
}
