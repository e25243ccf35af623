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

export const STAGE_COLUMNS = `
  reached.delivered or m.sent_at is not null or m.status = 'SENT' as sent,
  reached.delivered,
  reached.read,
  reached.delivered and exists (
    select 1 from (
      select next.direction from message next
       where next.conversation_id = m.conversation_id and next.type <> 'REACTION'
         and next.created_at >= m.created_at and next.created_at < m.created_at + ${REPLY_WINDOW}
         and (next.created_at > m.created_at or next.seq > m.seq)
       order by next.created_at, next.seq
       limit 1
    ) following
    where following.direction = 'IN'
  ) as replied,
  m.status = 'FAILED' as failed`;

/** The columns a rollup row is kept by, besides its organization and time. */
export const DIMENSIONS = ['channel_id', 'template_id', 'flow_id', 'flow_version', 'flow_node_id'] as const;
export const dimensionList = (prefix = '') => DIMENSIONS.map((column) => `${prefix}${column}`).join(', ');
