import { sql } from '../../../db/sql';
import type { MemberScope } from '../../scope';
import { resolveRange, type AnalyticsRange, type AnalyticsRangeInput } from '../analytics-range';
import { contactMessagesSql } from './contact-messages.query';
import { reportParts, type ReportOptions, type ReportParts } from './report-parts';
import {
  SEGMENT_CASE,
  USER_SEGMENTS,
  dormantBefore,
  resolveThresholds,
  segmentCaseParams,
  segmentsAsOf,
  type SegmentThresholds,
  type UserSegment,
} from './segment-rule';

export interface SegmentInput {
  range: AnalyticsRangeInput;
  thresholds?: Partial<Record<keyof SegmentThresholds, number | null>> | null;
}

/** A validated segments request: what both the counts and the connection work from. */
export interface SegmentQuery {
  range: AnalyticsRange;
  parts: ReportParts;
  thresholds: SegmentThresholds;
  asOf: Date;
  dormantBefore: Date;
}

export async function resolveSegmentQuery(scope: MemberScope, input: SegmentInput, options: ReportOptions = {}): Promise<SegmentQuery> {
  const thresholds = resolveThresholds(input.thresholds);
  const range = await resolveRange(scope, input.range);
  const asOf = segmentsAsOf(range.to);
  return { range, parts: await reportParts(scope.em, range, options), thresholds, asOf, dormantBefore: dormantBefore(asOf, thresholds) };
}

/** `(contact_id, messages, last_at, segment)` of every counted contact. */
export function classifiedContactsSql(query: SegmentQuery): { text: string; params: unknown[] } {
  const contacts = contactMessagesSql(query.range, query.parts);
  return {
    text: `select contact_id, messages, last_at, ${SEGMENT_CASE} as segment from (${contacts.text}) contacts`,
    params: [...segmentCaseParams(query.dormantBefore, query.thresholds), ...contacts.params],
  };
}

export interface UserSegmentsReport {
  from: Date;
  to: Date;
  channelId: string | null;
  asOf: Date;
  dormantBefore: Date;
  thresholds: SegmentThresholds;
  totalContacts: number;
  segments: { segment: UserSegment; contacts: number }[];
}

/** userSegments: how many contacts fall in each segment (every segment listed, zeros included). */
export async function userSegments(scope: MemberScope, input: SegmentInput, options: ReportOptions = {}): Promise<UserSegmentsReport> {
  const query = await resolveSegmentQuery(scope, input, options);
  const classified = classifiedContactsSql(query);
  const rows = await sql<{ segment: UserSegment; contacts: number }>(
    scope.em,
    `select segment, count(*)::int as contacts from (${classified.text}) classified group by segment`,
    classified.params,
  );
  const counts = new Map(rows.map((row) => [row.segment, row.contacts]));
  const segments = USER_SEGMENTS.map((segment) => ({ segment, contacts: counts.get(segment) ?? 0 }));
  return {
    from: query.range.from,
    to: query.range.to,
    channelId: query.range.channelId,
    asOf: query.asOf,
    dormantBefore: query.dormantBefore,
    thresholds: query.thresholds,
    totalContacts: segments.reduce((sum, row) => sum + row.contacts, 0),
    segments,
  };
}
