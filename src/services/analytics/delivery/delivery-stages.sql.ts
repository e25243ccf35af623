/**
 * How far an outbound message `m` got, as SQL shared by the rollup builder and the raw reads, so
 * both count the same way. A message counts in every stage it reached: a later stage's timestamp or
 * status implies the earlier ones (Meta skips `delivered` when delivery and read coincide).
 *
 * - failed: its status is FAILED. A failure reported after delivery does not fail a message
 *   (see domain/message-status), and a FAILED message never counts as delivered, read or replied.
 * - sent: Meta accepted it (sent_at, status SENT, or delivered); a message that failed after Meta
 *   accepted it counts as sent and failed.
 * - replied: delivered, and the next message of its conversation (ordered by created_at, then
 *   insertion) is the customer's, within 24 hours of ours. Reactions are not messages here.
 *   So a reply is credited to the last message we sent before it, and to nothing when it came
 *   over a day later.
 *
 * Use `${REACHED_STAGES}` in the FROM clause after `message m`, then `${STAGE_COLUMNS}` in the select list.
 */
export const REACHED_STAGES = `cross join lateral (select
    m.status <> 'FAILED' and (m.read_at is not null or m.played_at is not null or m.status in ('READ', 'PLAYED')) as read,
    m.status <> 'FAILED' and (m.delivered_at is not null or m.read_at is not null or m.played_at is not null
      or m.status in ('DELIVERED', 'READ', 'PLAYED')) as delivered
  ) reached`;

export const REPLY_WINDOW = `interval '24 hours'`;

/**
 * The message next to `ref` in its conversation, before or after it, within REPLY_WINDOW: ordered
 * by created_at, then insertion (seq); reactions are not messages here. As a query of `columns`
 * (the neighbour is `adjacent`) returning at most one row.
 *
 * Two probes of the (conversation_id, created_at) index: the nearest time first, then the nearest
 * insertion at that time. One `order by created_at, seq limit 1` cannot stop at the first row,
 * because the index does not hold seq: it reads and sorts every message of the conversation in
 * the window, for each message asked about (quadratic in a busy conversation).
 */
export function adjacentMessage(ref: string, side: 'previous' | 'next', columns: string): string {
  const [inWindow, nearestFirst, beyond] =
    side === 'next'
      ? [`>= ${ref}.created_at and n.created_at < ${ref}.created_at + ${REPLY_WINDOW}`, 'asc', '>']
      : [`<= ${ref}.created_at and n.created_at > ${ref}.created_at - ${REPLY_WINDOW}`, 'desc', '<'];
  const beyondRef = (alias: string) => `(${alias}.created_at ${beyond} ${ref}.created_at or ${alias}.seq ${beyond} ${ref}.seq)`;
  return `select ${columns} from message adjacent
     where adjacent.conversation_id = ${ref}.conversation_id and adjacent.type <> 'REACTION'
       and adjacent.created_at = (
         select n.created_at from message n
          where n.conversation_id = ${ref}.conversation_id and n.type <> 'REACTION' and n.created_at ${inWindow} and ${beyondRef('n')}
          order by n.created_at ${nearestFirst} limit 1)
       and ${beyondRef('adjacent')}
     order by adjacent.seq ${nearestFirst} limit 1`;
}

export const STAGE_COLUMNS = `
  reached.delivered or m.sent_at is not null or m.status = 'SENT' as sent,
  reached.delivered,
  reached.read,
  reached.delivered and coalesce((${adjacentMessage('m', 'next', `adjacent.direction = 'IN'`)}), false) as replied,
  m.status = 'FAILED' as failed`;

/** The columns a rollup row is kept by, besides its organization and time. */
export const DIMENSIONS = ['channel_id', 'template_id', 'flow_id', 'flow_version', 'flow_node_id'] as const;
export const dimensionList = (prefix = '') => DIMENSIONS.map((column) => `${prefix}${column}`).join(', ');
