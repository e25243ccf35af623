import type { ExecutionResult } from 'graphql';

type PromiseOrValue<T> = T | Promise<T>;

/** Deliveries one subscriber executes ahead of what its socket has taken. */
const EXECUTE_AHEAD = 32;

/**
 * Maps a source stream to execution results, executing ahead: each event starts executing as soon
 * as it arrives rather than when the socket has sent the previous one, so a burst is executed (and
 * its reads batched) together while earlier results are still being sent. `return()` reaches the
 * source at once, so its listener goes when the client does.
 */
export class PrefetchingStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly slots: Promise<IteratorResult<ExecutionResult>>[] = [];
  private notify: (() => void) | null = null;
  private pumping = false;
  private finished = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly map: (value: unknown) => PromiseOrValue<ExecutionResult>,
  ) {
    this.pump();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.slots.length) {
      if (this.finished) return { value: undefined, done: true };
      this.pump();
      await new Promise<void>((resolve) => (this.notify = resolve));
      if (!this.slots.length) return { value: undefined, done: true };
    }
    const slot = this.slots.shift()!;
    this.pump();
    return slot;
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finished = true;
    this.slots.length = 0;
    this.wake();
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private pump() {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    void (async () => {
      try {
        while (!this.finished && this.slots.length < EXECUTE_AHEAD) {
          let item: IteratorResult<unknown>;
          try {
            item = await this.source.next();
          } catch (error) {
            this.finished = true;
            this.add(Promise.reject(error));
            break;
          }
          if (this.finished) break;
          if (item.done) {
            this.finished = true;
            this.add(Promise.resolve({ value: undefined, done: true }));
            break;
          }
          const value = item.value;
          this.add(Promise.resolve().then(() => this.map(value)).then((result) => ({ value: result, done: false })));
        }
      } finally {
        this.pumping = false;
      }
    })();
  }

  private add(slot: Promise<IteratorResult<ExecutionResult>>) {
    slot.catch(() => undefined); // rejected slots are rethrown to the consumer by next()
    this.slots.push(slot);
    this.wake();
  }

  private wake() {
    const notify = this.notify;
    this.notify = null;
    notify?.();
  }
}

/** A result executed once for a group of subscribers, and serialised once. */
export interface SharedResult {
  result: ExecutionResult;
  /** `result` as JSON (errors already formatted for clients). */
  json: string;
}

/** The WebSocket as a direct stream writes to it (the `ws` socket). */
export interface DirectSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string): void;
}

export interface DirectStreamOptions {
  /** The graphql-transport-ws operation id. */
  id: string;
  socket: DirectSocket;
  /** Unsent bytes past which the client is too slow: `onSlowConsumer` runs and the stream ends. */
  maxBufferedBytes: number;
  onSlowConsumer(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delivers a subscription's results to its socket itself, as graphql-transport-ws `next` messages
 * built from the shared JSON: the payload of an event is serialised once for all its subscribers,
 * where graphql-ws would copy, hook and serialise it once per socket. To graphql-ws this iterator
 * yields nothing and settles only when the subscription ends (source done: `complete`; failure:
 * `error`), so it still sends those and handles `complete` from the client and closing sockets.
 * Each event starts executing as it arrives (up to EXECUTE_AHEAD), and messages go out in order.
 * While the socket holds more than a quarter of `maxBufferedBytes` unsent, the stream stops taking
 * events (they wait in the source's bounded queue); past `maxBufferedBytes` the client is too slow.
 */
export class DirectStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly pending: Promise<SharedResult>[] = [];
  private readonly prefix: string;
  private sourceOutcome: { done: true } | { error: unknown } | null = null;
  private outcome: { done: true } | { error: unknown } | null = null;
  private settle: { resolve(result: IteratorResult<ExecutionResult>): void; reject(error: unknown): void } | null = null;
  private sending = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly execute: (root: unknown) => Promise<SharedResult>,
    private readonly options: DirectStreamOptions,
  ) {
    this.prefix = `{"id":${JSON.stringify(options.id)},"type":"next","payload":`;
    void this.pump();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.outcome) return this.settled(this.outcome);
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish({ done: true });
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish({ done: true });
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private async pump() {
    const { socket, maxBufferedBytes } = this.options;
    while (!this.outcome && !this.sourceOutcome) {
      while (this.pending.length >= EXECUTE_AHEAD || socket.bufferedAmount > maxBufferedBytes / 4) {
        await sleep(10);
        if (this.outcome) return;
      }
      let item: IteratorResult<unknown>;
      try {
        item = await this.source.next();
      } catch (error) {
        this.sourceOutcome = { error };
        break;
      }
      if (this.outcome) return;
      if (item.done) {
        this.sourceOutcome = { done: true };
        break;
      }
      // A rejection is rethrown in order by send(); `execute` must mark it handled (it is shared).
      this.pending.push(this.execute(item.value));
      void this.send();
    }
    void this.send();
  }

  private async send() {
    if (this.sending) return;
    this.sending = true;
    try {
      const { socket, maxBufferedBytes } = this.options;
      while (this.pending.length && !this.outcome) {
        let shared: SharedResult;
        try {
          shared = await this.pending[0]!;
        } catch (error) {
          return this.finish({ error });
        }
        this.pending.shift();
        if (this.outcome || socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > maxBufferedBytes) {
          this.options.onSlowConsumer();
          return this.finish({ done: true });
        }
        socket.send(`${this.prefix}${shared.json}}`);
      }
      if (!this.pending.length && this.sourceOutcome) this.finish(this.sourceOutcome);
    } finally {
      this.sending = false;
    }
  }

  private finish(outcome: { done: true } | { error: unknown }) {
    if (this.outcome) return;
    this.outcome = outcome;
    this.pending.length = 0;
    void this.source.return?.();
    const settle = this.settle;
    this.settle = null;
    if (settle) this.settled(outcome).then(settle.resolve, settle.reject);
  }

  private settled(outcome: { done: true } | { error: unknown }): Promise<IteratorResult<ExecutionResult>> {
    return 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve({ value: undefined, done: true });
  }
}
