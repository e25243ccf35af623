import { textFrameHeader } from './ws-frame';

/** Waits for a shared delivery to settle: the DirectStream whose next message it is. */
export interface DeliveryWaiter {
  deliveryReady(): void;
}

/**
 * One event's result for a group of subscribers, as the bytes each of their sockets gets. The
 * payload is encoded once; a socket's graphql-transport-ws `next` frame is its operation's prefix
 * followed by those bytes, and the last frame built is kept, because the sockets of a group often
 * use the same operation id. Subscribers waiting for it are called back directly when it settles:
 * one promise reaction per group and event, not one per socket.
 *
 * It holds the bytes only, never the result they came from: a delivery stays cached for a few
 * seconds (fanout), long enough to outlive two young-generation collections, so whatever it holds
 * is promoted and waits for a full collection. The result trees were most of what a busy live
 * process kept of its last seconds of events.
 */
export class SharedDelivery {
  status: 'pending' | 'ready' | 'failed' = 'pending';
  error: unknown = undefined;
  /** The payload and the frame's closing brace, as UTF-8. */
  private body: Buffer | null = null;
  private waiters: DeliveryWaiter[] = [];
  private lastId: string | null = null;
  private lastFrame: Buffer | null = null;

  /**
   * `json` is the result as clients may see it (errors formatted). Handles its rejection (each
   * waiter reports it itself).
   */
  constructor(json: Promise<string>) {
    json.then(
      (json) => {
        this.body = Buffer.from(`${json}}`);
        this.status = 'ready';
        this.wake();
      },
      (error: unknown) => {
        this.error = error;
        this.status = 'failed';
        this.wake();
      },
    );
  }

  /** Calls `waiter.deliveryReady()` once this settles; only while pending. */
  wait(waiter: DeliveryWaiter): void {
    this.waiters.push(waiter);
  }

  /**
   * The `next` message for operation `id` whose text starts with `prefix` (see DirectStream), as a
   * whole WebSocket text frame: written to the TCP socket as it is, one buffer and one write per
   * subscriber. Once ready.
   */
  frame(id: string, prefix: Buffer): Buffer {
    if (id !== this.lastId) {
      const body = this.body!;
      const length = prefix.length + body.length;
      const header = textFrameHeader(length);
      this.lastFrame = Buffer.concat([header, prefix, body], header.length + length);
      this.lastId = id;
    }
    return this.lastFrame!;
  }

  /** The same message as text to hand to a WebSocket's `send` (no frame header). */
  message(id: string, prefix: Buffer): Buffer {
    const frame = this.frame(id, prefix);
    return frame.subarray(frame.length - prefix.length - this.body!.length);
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    // A waiter handles its own failures (DirectStream ends its stream): one cannot stop the others.
    for (const waiter of waiters) waiter.deliveryReady();
  }
}
