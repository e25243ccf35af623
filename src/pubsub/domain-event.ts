/**
 * What the pipelines announce: a conversation event (with its cursor in the event log), or a change
 * of a template or a channel. Plain JSON, since it travels through Redis.
 */
export type DomainEvent =
  | {
      kind: 'conversation';
      organizationId: string;
      conversationId: string;
      /** The event's `seq` in the log (its commit order), the resume cursor of live feeds; empty in a producer's draft, before the EventSequencer numbered it. */
      cursor: string;
      type: string;
      data: Record<string, unknown>;
      at: string;
      /**
       * The row of the message the event is about (its columns, as the sequencer read it just
       * after the commit), so api processes show it without reading it again; null or absent when
       * the event is about no message.
       */
      message?: Record<string, unknown> | null;
    }
  | { kind: 'template'; organizationId: string; templateId: string; type: string; data: Record<string, unknown>; at: string }
  | { kind: 'channel'; organizationId: string; channelId: string; type: string; data: Record<string, unknown>; at: string };

/** One Redis channel per organization, so a process subscribes only where it has subscribers. */
export const organizationTopic = (prefix: string, organizationId: string) => `${prefix}:events:org:${organizationId}`;
