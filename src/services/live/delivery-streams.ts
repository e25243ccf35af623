import type { ExecutionResult } from 'graphql';
import type { EventQueue, QueueConsumer } from './event-queue';
import type { DeliveryWaiter, SharedDelivery } from './shared-delivery';
import { beforeWrite, type Corkable } from './write-batch';

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

/** The WebSocket as a direct stream writes to it (the `ws` socket). */
export interface DirectSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  /** Negotiated extensions; '' when none (no compression), so a prebuilt frame can go to the transport as it is. */
  readonly extensions?: string;
  send(data: string | Buffer, options: { binary: boolean }): void;
}

export interface DirectStreamOptions {
  /** The graphql-transport-ws operation id. */
  id: string;
  socket: DirectSocket;
  /** The socket's TCP stream, when known: writes of one turn are sent together (see write-batch). */
  transport?: Corkable;
  /** Unsent bytes past which the client is too slow: `onSlowConsumer` runs and the stream ends. */
  maxBufferedBytes: number;
  onSlowConsumer(): void;
}

type Outcome = { done: true } | { error: unknown };

/** How often a stream whose socket is behind looks again. */
const RETRY_MS = 10;
/** Shared bytes go out as text frames, as graphql-ws's own messages do. */
const TEXT = { binary: false } as const;

/**
 * Delivers a subscription's results to its socket itself, as graphql-transport-ws `next` messages
 * built from the shared bytes (SharedDelivery): the payload of an event is serialised once for all
 * its subscribers, where graphql-ws would copy, hook and serialise it once per socket. The stream
 * takes its source queue's items synchronously as they are pushed and is called back when the
 * result it waits for settles, so a delivery costs no promise of its own. To graphql-ws this
 * iterator yields nothing and settles only when the subscription ends (source done: `complete`;
 * failure: `error`), so it still sends those and handles `complete` from the client and closing
 * sockets. Each event starts executing as it arrives (up to EXECUTE_AHEAD), and messages go out in
 * order. While the socket holds more than a quarter of `maxBufferedBytes` unsent, the stream stops
 * taking events (they wait in the bounded queue); past `maxBufferedBytes` the client is too slow.
 */
export class DirectStream implements AsyncIterableIterator<ExecutionResult>, QueueConsumer, DeliveryWaiter {
  private readonly pending: SharedDelivery[] = [];
  private readonly prefix: Buffer;
  /** Frames go to the TCP socket as they are: ws negotiated no extension that would change their bytes. */
  private readonly writesFrames: boolean;
  private sourceOutcome: Outcome | null = null;
  private outcome: Outcome | null = null;
  private settle: { resolve(result: IteratorResult<ExecutionResult>): void; reject(error: unknown): void } | null = null;
  /** The delivery this stream asked to be called back for. */
  private waitingOn: SharedDelivery | null = null;
  private retry: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;

  constructor(
    private readonly source: EventQueue<unknown>,
    private readonly execute: (root: unknown) => SharedDelivery,
    private readonly options: DirectStreamOptions,
  ) {
    this.prefix = Buffer.from(`{"id":${JSON.stringify(options.id)},"type":"next","payload":`);
    this.writesFrames = options.transport !== undefined && options.socket.extensions === '';
    source.consume(this);
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

  readable(): void {
    this.run();
  }

  deliveryReady(): void {
    this.waitingOn = null;
    this.run();
  }

  /** Takes what fits from the queue and sends what is ready, in order, until neither moves. */
  private run() {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        this.take();
        this.sendReady();
      } while (this.again && !this.outcome);
    } catch (error) {
      this.finish({ error });
    } finally {
      this.running = false;
    }
  }

  private take() {
    const { socket, maxBufferedBytes } = this.options;
    while (!this.outcome && !this.sourceOutcome && this.pending.length < EXECUTE_AHEAD) {
      if (socket.bufferedAmount > maxBufferedBytes / 4) return this.retryLater();
      let item: IteratorResult<unknown> | null;
      try {
        item = this.source.poll();
      } catch (error) {
        this.sourceOutcome = { error };
        return;
      }
      if (!item) return;
      if (item.done) {
        this.sourceOutcome = { done: true };
        return;
      }
      this.pending.push(this.execute(item.value));
    }
  }

  private sendReady() {
    const { socket, maxBufferedBytes, id, transport } = this.options;
    let sent = false;
    while (!this.outcome && this.pending.length) {
      const head = this.pending[0]!;
      if (head.status === 'pending') {
        if (this.waitingOn !== head) {
          this.waitingOn = head;
          head.wait(this);
        }
        break;
      }
      if (head.status === 'failed') return this.finish({ error: head.error });
      this.pending.shift();
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > maxBufferedBytes) {
        this.options.onSlowConsumer();
        return this.finish({ done: true });
      }
      if (transport && this.writesFrames) {
        // The whole frame, prebuilt once for the group: ws would write a header and the payload each time.
        beforeWrite(transport);
        transport.write(head.frame(id, this.prefix));
      } else {
        socket.send(head.message(id, this.prefix), TEXT);
      }
      sent = true;
    }
    if (this.outcome) return;
    if (!this.pending.length && this.sourceOutcome) return this.finish(this.sourceOutcome);
    // Room was made: items left waiting behind a full window can go now.
    if (sent && this.source.length) this.again = true;
  }

  private retryLater() {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.run();
    }, RETRY_MS);
    this.retry.unref();
  }

  private finish(outcome: Outcome) {
    if (this.outcome) return;
    this.outcome = outcome;
    this.pending.length = 0;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    void this.source.return();
    const settle = this.settle;
    this.settle = null;
    if (settle) this.settled(outcome).then(settle.resolve, settle.reject);
  }

  private settled(outcome: Outcome): Promise<IteratorResult<ExecutionResult>> {
    return 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve({ value: undefined, done: true });
  }
}
