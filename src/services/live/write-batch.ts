/** A socket's transport as Node's streams expose it: what is written between cork() and uncork() leaves in one system call. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/** Transports written to in this turn of the event loop: true once they hold their later writes. */
let thisTurn = new Map<Corkable, boolean>();

function release() {
  const transports = thisTurn;
  thisTurn = new Map();
  for (const [transport, corked] of transports) if (corked) transport.uncork();
}

/**
 * Call before writing a frame to `transport`. A socket's first frame in a turn of the event loop
 * leaves at once; from its second on, its frames are held until the turn's check phase
 * (setImmediate) and leave together in one writev. In a burst, the results of many events settle
 * in one long turn and a socket gets several of them: they cost one system call instead of one
 * each, while every socket still gets its first frame without waiting for the end of the turn.
 */
export function beforeWrite(transport: Corkable): void {
  const corked = thisTurn.get(transport);
  if (corked) return;
  if (corked === undefined) {
    if (!thisTurn.size) setImmediate(release);
    thisTurn.set(transport, false);
    return;
  }
  transport.cork();
  thisTurn.set(transport, true);
}
