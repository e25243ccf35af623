/**
 * Agent handling episodes, derived from one conversation's event log (pure: no I/O).
 *
 * An episode is a stretch of a conversation that needed a person. It starts when the conversation
 * moves to WAITING_AGENT or WITH_AGENT (a handoff by the bot or a member, an assignment, a reopen),
 * or when the customer writes while no bot answers; it ends when the conversation is CLOSED
 * (resolved) or given back to the bot. Its agent is the member it was last assigned to, or else
 * the first member who answered.
 */

export type EpisodeEventType = 'CONVERSATION_OPENED' | 'MESSAGE_RECEIVED' | 'MESSAGE_SENT' | 'STATUS_CHANGED' | 'ASSIGNED' | 'BOT';

/** The parts of a conversation_event row the derivation reads (data fields flattened). */
export interface EpisodeEvent {
  type: EpisodeEventType;
  at: Date;
  /** STATUS_CHANGED and ASSIGNED: the conversation's status after the event. */
  status?: string | null;
  /** ASSIGNED: the assignee (null: unassigned); MESSAGE_SENT: the member who wrote. */
  userId?: string | null;
  /** MESSAGE_SENT: AGENT, BOT, API... */
  author?: string | null;
  /** BOT: node_entered, handoff, expired... */
  botType?: string | null;
  /** STATUS_CHANGED: a member or key id, 'bot', or 'customer' (the customer wrote to a closed conversation). */
  by?: string | null;
}

export type EpisodeStart = 'INBOUND' | 'HANDOFF' | 'ASSIGNED' | 'REOPENED';
export type EpisodeEnd = 'CLOSED' | 'BOT';

export interface AgentEpisode {
  /** 1, 2, ... within the conversation. */
  seq: number;
  startedBy: EpisodeStart;
  waitingSince: Date;
  agentId: string | null;
  firstResponseAt: Date | null;
  firstResponseBy: string | null;
  resolvedAt: Date | null;
  endedAt: Date | null;
  endReason: EpisodeEnd | null;
  agentMessages: number;
  /** Messages per member who wrote in the episode. */
  messagesByAuthor: Map<string, number>;
  /** waiting_since of the conversation's latest earlier episode with the same agent (null: none, or no agent). */
  previousSameAgentAt: Date | null;
  /** waiting_since of the conversation's latest earlier episode that had an agent. */
  previousAttributedAt: Date | null;
}

const PERSON_STATUSES = new Set(['WAITING_AGENT', 'WITH_AGENT']);

interface OpenEpisode extends AgentEpisode {
  lastAssignee: string | null;
}

/**
 * Whether the bot answers the customer's message at `index`: the runtime writes the bot's turn
 * (its messages, then its steps) in the same transaction, so with the same timestamp, right after.
 */
function botAnswers(events: readonly EpisodeEvent[], index: number): boolean {
  const at = events[index]!.at.getTime();
  for (let next = index + 1; next < events.length; next++) {
    const event = events[next]!;
    if (event.at.getTime() !== at) return false;
    if (event.type === 'BOT') {
      // A session that merely expired does not answer; a step of a flow does.
      if (event.botType !== 'expired') return true;
      continue;
    }
    if (event.type === 'MESSAGE_SENT' && event.author === 'BOT') continue;
    if (event.type === 'STATUS_CHANGED' && event.by === 'bot') return event.status === 'BOT' || event.status === 'CLOSED';
    return false;
  }
  return false;
}

/** Episodes of one conversation, from its events in log order. */
export function deriveEpisodes(events: readonly EpisodeEvent[]): AgentEpisode[] {
  const episodes: AgentEpisode[] = [];
  // The runtime creates conversations as WAITING_AGENT, before any event says otherwise.
  let status = 'WAITING_AGENT';
  let assignee: string | null = null;
  let open: OpenEpisode | null = null;

  const start = (at: Date, startedBy: EpisodeStart) => {
    if (open) return;
    open = {
      seq: episodes.length + 1,
      startedBy,
      waitingSince: at,
      agentId: null,
      firstResponseAt: null,
      firstResponseBy: null,
      resolvedAt: null,
      endedAt: null,
      endReason: null,
      agentMessages: 0,
      messagesByAuthor: new Map(),
      previousSameAgentAt: null,
      previousAttributedAt: null,
      lastAssignee: assignee,
    };
  };
  const finish = (episode: OpenEpisode): AgentEpisode => {
    const { lastAssignee, ...rest } = episode;
    const agentId = lastAssignee ?? episode.firstResponseBy;
    // Distinct conversations per agent over any range, without DISTINCT at query time (agent-metrics.query.ts).
    const earlier = [...episodes].reverse();
    return {
      ...rest,
      agentId,
      previousSameAgentAt: agentId ? (earlier.find((previous) => previous.agentId === agentId)?.waitingSince ?? null) : null,
      previousAttributedAt: agentId ? (earlier.find((previous) => previous.agentId !== null)?.waitingSince ?? null) : null,
    };
  };
  const end = (at: Date, reason: EpisodeEnd) => {
    if (!open) return;
    episodes.push(finish({ ...open, endedAt: at, endReason: reason, resolvedAt: reason === 'CLOSED' ? at : null }));
    open = null;
  };

  events.forEach((event, index) => {
    switch (event.type) {
      case 'MESSAGE_RECEIVED': {
        // The customer writing reopens a closed conversation (the runtime does it without an event).
        if (status === 'CLOSED') status = 'WAITING_AGENT';
        if (PERSON_STATUSES.has(status) && !open && !botAnswers(events, index)) start(event.at, 'INBOUND');
        break;
      }
      case 'MESSAGE_SENT': {
        const current = open as OpenEpisode | null;
        if (!current || event.author !== 'AGENT' || !event.userId) break;
        current.agentMessages += 1;
        current.messagesByAuthor.set(event.userId, (current.messagesByAuthor.get(event.userId) ?? 0) + 1);
        if (!current.firstResponseAt) {
          current.firstResponseAt = event.at;
          current.firstResponseBy = event.userId;
        }
        break;
      }
      case 'STATUS_CHANGED': {
        const next = event.status ?? status;
        const previous = status;
        status = next;
        if (next === 'CLOSED') end(event.at, 'CLOSED');
        else if (next === 'BOT') {
          end(event.at, 'BOT');
          // returnToBot unassigns (without an ASSIGNED event); the bot taking a conversation does not.
          if (event.by !== 'bot') assignee = null;
        } else if (PERSON_STATUSES.has(next) && event.by !== 'customer') {
          // 'customer': the customer wrote to a closed conversation; the message decides (the bot may answer it).
          start(event.at, previous === 'CLOSED' ? 'REOPENED' : 'HANDOFF');
        }
        break;
      }
      case 'ASSIGNED': {
        assignee = event.userId ?? null;
        if (event.status) status = event.status;
        const current = open as OpenEpisode | null;
        if (current && assignee) current.lastAssignee = assignee;
        if (PERSON_STATUSES.has(status)) start(event.at, 'ASSIGNED');
        break;
      }
      case 'BOT': {
        if (event.botType === 'handoff') {
          status = 'WAITING_AGENT';
          start(event.at, 'HANDOFF');
        }
        break;
      }
      case 'CONVERSATION_OPENED':
        break;
    }
  });
  const last = open as OpenEpisode | null;
  if (last) episodes.push(finish(last));
  return episodes;
}

/** Seconds from waiting to the first answer and to resolution (null when there is none). */
export const episodeDurations = (episode: AgentEpisode) => ({
  firstResponseSeconds: episode.firstResponseAt ? Math.max(0, (episode.firstResponseAt.getTime() - episode.waitingSince.getTime()) / 1000) : null,
  resolutionSeconds: episode.resolvedAt ? Math.max(0, (episode.resolvedAt.getTime() - episode.waitingSince.getTime()) / 1000) : null,
});
