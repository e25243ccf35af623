import { type FlowDefinition, type FlowValue } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';

export type BotStatus = 'active' | 'ended' | 'handed_off';

/**
 * A conversation's bot session, stored as JSON between messages. An active session always waits:
 * for a customer's reply at a message with options or a question, or for the outcome of an http
 * node. An ended or handed-off session has no current node.
 */
export interface BotState {
  flowId: string;
  flowVersion: number;
  /** The node waiting for an answer, or null when the session is over. */
  currentNodeId: string | null;
  waitingFor: 'reply' | 'http' | null;
  /** Invalid answers at the current node. */
  attempts: number;
  /** Saved variables, plus `last_input`: the customer's latest message. */
  variables: Record<string, FlowValue>;
  /** Node ids entered, in order; the most recent FLOW_LIMITS.path only. */
  path: string[];
  /** ISO 8601. */
  startedAt: string;
  lastActivityAt: string;
  status: BotStatus;
}

/** Holds the customer's latest message, readable as `{{last_input}}` and in conditions. */
export const LAST_INPUT = 'last_input';

export function newBotState(flowId: string, flowVersion: number, now: Date): BotState {
  const at = now.toISOString();
  return {
    flowId,
    flowVersion,
    currentNodeId: null,
    waitingFor: null,
    attempts: 0,
    variables: {},
    path: [],
    startedAt: at,
    lastActivityAt: at,
    status: 'active',
  };
}

/** The end of an active session's TTL (`sessionTtlMinutes` without activity, default 1440). */
export function sessionExpiresAt(state: BotState, definition: Pick<FlowDefinition, 'sessionTtlMinutes'>): Date {
  const minutes = definition.sessionTtlMinutes ?? FLOW_LIMITS.defaultSessionTtlMinutes;
  return new Date(Date.parse(state.lastActivityAt) + minutes * 60_000);
}

export function isSessionExpired(
  state: BotState,
  definition: Pick<FlowDefinition, 'sessionTtlMinutes'>,
  now: Date,
): boolean {
  // Written as "not before" so that a corrupt lastActivityAt (NaN) counts as expired, not eternal.
  return state.status === 'active' && !(sessionExpiresAt(state, definition).getTime() > now.getTime());
}
