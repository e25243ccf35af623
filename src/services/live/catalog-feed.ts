import { EventQueue } from './event-queue';
import type { CatalogRoot, ChannelDomainEvent, TemplateDomainEvent } from './live-event';
import { slowConsumer, type FeedScope } from './live-deps';

type CatalogKind = 'template' | 'channel';
type EventOf<K extends CatalogKind> = K extends 'template' ? TemplateDomainEvent : ChannelDomainEvent;

/**
 * `templateUpdates` and `channelUpdates`: Meta's changes to the organization's templates (status,
 * quality, category) and phone numbers (quality, limits, restrictions), as the webhook applied them.
 * Live only: these have no event log to resume from; the templates and channels queries give the state.
 */
export async function openCatalogFeed<K extends CatalogKind>(scope: FeedScope, kind: K): Promise<AsyncIterableIterator<CatalogRoot<EventOf<K>>>> {
  let unlisten: (() => void) | null = null;
  const queue = new EventQueue<CatalogRoot<EventOf<K>>>(scope.live.maxQueuedEvents, slowConsumer(scope), () => unlisten?.());
  const stop = await scope.live.hub.listen(scope.viewer.organizationId, {
    next: ({ seq, event }) => {
      if (event.kind !== kind) return;
      queue.push({ liveKey: `h${seq}`, eventKey: `h${seq}`, organizationId: event.organizationId, event: event as EventOf<K> });
    },
  });
  if (queue.ended) stop();
  else unlisten = stop;
  return queue;
}
