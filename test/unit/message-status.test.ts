import { META_STATUSES, MessageStatus, advanceStatus } from '../../src/domain/message-status';

const { RECEIVED, QUEUED, SENT, DELIVERED, READ, PLAYED, FAILED } = MessageStatus;
const ALL = [RECEIVED, QUEUED, SENT, DELIVERED, READ, PLAYED, FAILED];

/**
 * Every transition: the row is the message's status, the column the status a webhook reports,
 * the cell where the message ends up.
 */
const TABLE: Record<MessageStatus, Record<MessageStatus, MessageStatus>> = {
  //          reported:  RECEIVED   QUEUED     SENT       DELIVERED  READ       PLAYED     FAILED
  RECEIVED: { RECEIVED, QUEUED: RECEIVED, SENT: RECEIVED, DELIVERED: RECEIVED, READ: RECEIVED, PLAYED: RECEIVED, FAILED: RECEIVED },
  QUEUED: { RECEIVED: QUEUED, QUEUED, SENT, DELIVERED, READ, PLAYED, FAILED },
  SENT: { RECEIVED: SENT, QUEUED: SENT, SENT, DELIVERED, READ, PLAYED, FAILED },
  DELIVERED: { RECEIVED: DELIVERED, QUEUED: DELIVERED, SENT: DELIVERED, DELIVERED, READ, PLAYED, FAILED: DELIVERED },
  READ: { RECEIVED: READ, QUEUED: READ, SENT: READ, DELIVERED: READ, READ, PLAYED, FAILED: READ },
  PLAYED: { RECEIVED: PLAYED, QUEUED: PLAYED, SENT: PLAYED, DELIVERED: PLAYED, READ: PLAYED, PLAYED, FAILED: PLAYED },
  FAILED: { RECEIVED: FAILED, QUEUED: FAILED, SENT: FAILED, DELIVERED: FAILED, READ: FAILED, PLAYED: FAILED, FAILED },
};

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

describe('advanceStatus', () => {
  const cases = ALL.flatMap((current) => ALL.map((incoming) => [current, incoming, TABLE[current][incoming]] as const));

  it.each(cases)('%s + reported %s -> %s', (current, incoming, expected) => {
    expect(advanceStatus(current, incoming)).toBe(expected);
  });

  it('covers every pair of statuses', () => {
    expect(cases).toHaveLength(ALL.length ** 2);
  });

  it('ends at the furthest status whatever order Meta delivers them in', () => {
    for (const order of permutations([SENT, DELIVERED, READ, PLAYED])) {
      expect(order.reduce(advanceStatus, QUEUED)).toBe(PLAYED);
    }
    for (const order of permutations([SENT, DELIVERED, READ])) {
      expect(order.reduce(advanceStatus, QUEUED)).toBe(READ);
    }
  });

  it('gives the same result when a status is applied twice in a row', () => {
    for (const current of ALL) {
      for (const incoming of ALL) {
        const once = advanceStatus(current, incoming);
        expect(advanceStatus(once, incoming)).toBe(once);
      }
    }
  });

  it('lets a failure end a message only before it reached the customer', () => {
    expect([QUEUED, SENT].map((current) => advanceStatus(current, FAILED))).toEqual([FAILED, FAILED]);
    expect([DELIVERED, READ, PLAYED].map((current) => advanceStatus(current, FAILED))).toEqual([DELIVERED, READ, PLAYED]);
  });
});

describe('META_STATUSES', () => {
  it("maps each of Meta's status names and nothing else", () => {
    expect(META_STATUSES).toEqual({ sent: SENT, delivered: DELIVERED, read: READ, played: PLAYED, failed: FAILED });
    expect(META_STATUSES['deleted']).toBeUndefined();
    expect(META_STATUSES['toString']).toBeUndefined();
  });
});
