import type { Random } from './random';
import { HOUR, MINUTE, type SimConversation } from './sim-conversation';

/** A binary min-heap of visit starts. */
export class VisitQueue {
  private readonly items: { at: number; conversation: SimConversation }[] = [];

  get size() {
    return this.items.length;
  }

  push(at: number, conversation: SimConversation): void {
    const items = this.items;
    items.push({ at, conversation });
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): { at: number; conversation: SimConversation } {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length) {
      items[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && items[l]!.at < items[m]!.at) m = l;
        if (r < items.length && items[r]!.at < items[m]!.at) m = r;
        if (m === i) break;
        [items[m], items[i]] = [items[i]!, items[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** The next planned visit that can still happen after the conversation's last activity. */
export function scheduleNext(queue: VisitQueue, conversation: SimConversation, now: number, rng: Random): void {
  while (conversation.nextVisit < conversation.visits.length) {
    const visit = conversation.visits[conversation.nextVisit]!;
    // A campaign goes out at its time or not at all; a customer who wanted to come back comes a bit later.
    if (visit.kind !== 'inbound' && visit.at < conversation.busyUntil) {
      conversation.nextVisit += 1;
      continue;
    }
    const at = Math.max(visit.at, conversation.busyUntil + (visit.kind === 'inbound' ? rng.logNormal(30 * MINUTE, 6 * HOUR) : 0));
    if (at >= now) {
      conversation.nextVisit = conversation.visits.length;
      return;
    }
    queue.push(at, conversation);
    return;
  }
}
