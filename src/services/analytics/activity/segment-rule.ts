import { badInput } from '../../../domain/errors';
import { MAX_RANGE_DAYS } from '../analytics-range';

/**
 * How contacts are bucketed over a range; pure, so the rule is tested without a database and the
 * SQL (segmentCase) and the documentation state the same thing.
 *
 * Counted: contacts who sent at least one message in the range (on the channel, when filtered).
 * 1. DORMANT: their last message in the range is older than `dormantAfterDays` days before the
 *    range's end (or before now, when the range ends in the future);
 * 2. otherwise POWER: at least `powerMinMessages` messages in the range;
 * 3. otherwise ACTIVE: at least `activeMinMessages`;
 * 4. otherwise CASUAL.
 */
export enum UserSegment {
  POWER = 'POWER',
  ACTIVE = 'ACTIVE',
  CASUAL = 'CASUAL',
  DORMANT = 'DORMANT',
}

export const USER_SEGMENTS = [UserSegment.POWER, UserSegment.ACTIVE, UserSegment.CASUAL, UserSegment.DORMANT] as const;

export interface SegmentThresholds {
  powerMinMessages: number;
  activeMinMessages: number;
  dormantAfterDays: number;
}

export const DEFAULT_THRESHOLDS: Readonly<SegmentThresholds> = { powerMinMessages: 20, activeMinMessages: 5, dormantAfterDays: 14 };
export const MAX_THRESHOLD_MESSAGES = 1_000_000;

const DAY_MS = 86_400_000;

function check(argument: string, name: keyof SegmentThresholds, value: number, max: number) {
  if (!Number.isInteger(value) || value < 1 || value > max) throw badInput(`${argument}.${name}`, `${name} must be a whole number from 1 to ${max}`);
}

/** Fills the defaults and checks the thresholds: positive, bounded, and power above active. */
export function resolveThresholds(input: Partial<Record<keyof SegmentThresholds, number | null>> | null | undefined, argument = 'thresholds'): SegmentThresholds {
  const thresholds: SegmentThresholds = {
    powerMinMessages: input?.powerMinMessages ?? DEFAULT_THRESHOLDS.powerMinMessages,
    activeMinMessages: input?.activeMinMessages ?? DEFAULT_THRESHOLDS.activeMinMessages,
    dormantAfterDays: input?.dormantAfterDays ?? DEFAULT_THRESHOLDS.dormantAfterDays,
  };
  check(argument, 'powerMinMessages', thresholds.powerMinMessages, MAX_THRESHOLD_MESSAGES);
  check(argument, 'activeMinMessages', thresholds.activeMinMessages, MAX_THRESHOLD_MESSAGES);
  check(argument, 'dormantAfterDays', thresholds.dormantAfterDays, MAX_RANGE_DAYS);
  if (thresholds.powerMinMessages <= thresholds.activeMinMessages) {
    throw badInput(
      `${argument}.powerMinMessages`,
      `powerMinMessages (${thresholds.powerMinMessages}) must be greater than activeMinMessages (${thresholds.activeMinMessages})`,
    );
  }
  return thresholds;
}

/** The instant recency is measured from: the range's end, or now when the range ends later. */
export const segmentsAsOf = (to: Date, now = new Date()) => new Date(Math.min(to.getTime(), now.getTime()));

/** A contact whose last message is before this instant is DORMANT. */
export const dormantBefore = (asOf: Date, thresholds: SegmentThresholds) => new Date(asOf.getTime() - thresholds.dormantAfterDays * DAY_MS);

export function classify(messages: number, lastMessageAt: Date, dormantSince: Date, thresholds: SegmentThresholds): UserSegment {
  if (lastMessageAt.getTime() < dormantSince.getTime()) return UserSegment.DORMANT;
  if (messages >= thresholds.powerMinMessages) return UserSegment.POWER;
  if (messages >= thresholds.activeMinMessages) return UserSegment.ACTIVE;
  return UserSegment.CASUAL;
}

/** classify() in SQL over `messages` and `last_at` columns; parameters: dormantSince, powerMinMessages, activeMinMessages. */
export const SEGMENT_CASE = `case when last_at < ?::timestamptz then 'DORMANT' when messages >= ? then 'POWER' when messages >= ? then 'ACTIVE' else 'CASUAL' end`;

export const segmentCaseParams = (dormantSince: Date, thresholds: SegmentThresholds) => [dormantSince, thresholds.powerMinMessages, thresholds.activeMinMessages];
