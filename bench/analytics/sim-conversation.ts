import type { ChannelModel, OrgModel } from './history-model';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type ConversationStatusName = 'WAITING_AGENT' | 'BOT' | 'WITH_AGENT' | 'CLOSED';

export type PlannedVisit = { at: number; kind: 'inbound' } | { at: number; kind: 'campaign'; template: string } | { at: number; kind: 'auth' };

/** One contact's conversation on one channel, and where the simulation has left it. */
export interface SimConversation {
  org: OrgModel;
  id: string;
  contactId: string;
  channel: ChannelModel;
  waId: string;
  name: string;
  /** One customer in ten turns read receipts off: their messages never show READ. */
  readReceipts: boolean;
  /** Planned visits (starts in ms), in order; `nextVisit` indexes the next one. */
  visits: PlannedVisit[];
  nextVisit: number;
  /** No new visit may start before this (the last visit's last activity). */
  busyUntil: number;
  /** Where the simulation is (events say `previous` from it). */
  status: ConversationStatusName;
  assignedTo: string | null;
  openedAt: number | null;
  /** The conversation and contact rows as of `now`: what the tables hold at the end. */
  final: {
    status: ConversationStatusName;
    assignedTo: string | null;
    lastInboundAt: number | null;
    lastMessageAt: number | null;
    lastMessageId: string | null;
    firstSeenAt: number | null;
    lastSeenAt: number | null;
  };
  /** Rows written for it (the longest history is the transcript timed). */
  rows: number;
}
