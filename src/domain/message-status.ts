/** Lifecycle of a message. RECEIVED is for inbound messages; the rest for outbound ones. */
export enum MessageStatus {
  RECEIVED = 'RECEIVED',
  QUEUED = 'QUEUED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
  PLAYED = 'PLAYED',
  FAILED = 'FAILED',
}

/**
 * Meta's status names in webhooks, mapped to ours. Null prototype: a status named "constructor" or
 * "toString" must find nothing, not Object's methods.
 */
export const META_STATUSES: Readonly<Record<string, MessageStatus>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, MessageStatus>, {
    sent: MessageStatus.SENT,
    delivered: MessageStatus.DELIVERED,
    read: MessageStatus.READ,
    played: MessageStatus.PLAYED,
    failed: MessageStatus.FAILED,
  }),
);

const PROGRESS: Partial<Record<MessageStatus, number>> = {
  QUEUED: 0,
  SENT: 1,
  DELIVERED: 2,
  READ: 3,
  PLAYED: 4,
};

/**
 * Meta delivers statuses out of order and more than once; a message only moves forward
 * (queued < sent < delivered < read < played). FAILED ends a message that has not reached the
 * customer yet, and nothing moves a FAILED message again; a failure reported after delivery is
 * kept as an event but does not undo what the customer already saw.
 */
export function advanceStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  if (current === incoming || current === MessageStatus.FAILED || current === MessageStatus.RECEIVED) return current;
  const from = PROGRESS[current] ?? 0;
  if (incoming === MessageStatus.FAILED) return from < PROGRESS.DELIVERED! ? MessageStatus.FAILED : current;
  return (PROGRESS[incoming] ?? 0) > from ? incoming : current;
}
