import { Field, ID, InputType } from 'type-graphql';
import { Channel } from '../../entities/channel.entity';
import { Organization } from '../../entities/organization.entity';
import { badInput, notFound } from '../../domain/errors';
import { sql } from '../../db/sql';
import { isUuid } from '../../db/find-by-id';
import type { MemberScope } from '../scope';
import type { EntityManager } from '../../db/entity-manager';

export const MAX_RANGE_DAYS = 400;
const DAY_MS = 86_400_000;
/** Rollups are kept per quarter hour (UTC): every time zone's offset is a multiple of it, so local days are whole buckets. */
export const BUCKET_MS = 15 * 60_000;

@InputType({ description: 'The period a report covers: [from, to), read in a time zone' })
export class AnalyticsRangeInput {
  @Field({ description: 'Start, inclusive' })
  from!: Date;

  @Field({ description: 'End, exclusive; at most 400 days after from' })
  to!: Date;

  // Checked by resolveRange against PostgreSQL's zone names, so the error names `range.timeZone`.
  @Field(() => String, { nullable: true, description: "IANA time zone for days and hours (default: the organization's)" })
  timeZone?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this channel' })
  channelId?: string | null;
}

/** A validated range: what every report service takes. */
export interface AnalyticsRange {
  organizationId: string;
  from: Date;
  to: Date;
  timeZone: string;
  channelId: string | null;
}

let knownZones: Promise<Set<string>> | null = null;

/** PostgreSQL does the time-zone arithmetic, so its zone list is the one that counts (read once per process). */
function timeZones(em: EntityManager): Promise<Set<string>> {
  knownZones ??= sql<{ name: string }>(em, 'select name from pg_timezone_names').then(
    (rows) => new Set(rows.map((row) => row.name)),
    (error: unknown) => {
      knownZones = null;
      throw error;
    },
  );
  return knownZones;
}

/**
 * Checks a report's range and fills the defaults. Every problem names its argument
 * (`range.to`, `range.timeZone`, ...), so a client can point at the field.
 */
export async function resolveRange(scope: MemberScope, input: AnalyticsRangeInput, argument = 'range'): Promise<AnalyticsRange> {
  const { from, to } = input;
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput(`${argument}.from`, 'from is not a valid date-time');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput(`${argument}.to`, 'to is not a valid date-time');
  if (to.getTime() <= from.getTime()) throw badInput(`${argument}.to`, 'to must be after from');
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > MAX_RANGE_DAYS) throw badInput(`${argument}.to`, `The range spans ${Math.ceil(days)} days; at most ${MAX_RANGE_DAYS} are allowed`);

  const organizationId = scope.viewer.organizationId;
  let timeZone = input.timeZone ?? null;
  if (timeZone === null) {
    const organization = await scope.em.findOneOrFail(Organization, { id: organizationId });
    timeZone = organization.timezone;
  } else if (!(await timeZones(scope.em)).has(timeZone)) {
    throw badInput(`${argument}.timeZone`, `Unknown time zone "${timeZone.slice(0, 64)}"; use an IANA name such as Europe/Berlin`);
  }

  const channelId = input.channelId ?? null;
  if (channelId !== null) {
    const found = isUuid(channelId) ? await scope.em.findOne(Channel, { id: channelId }) : null;
    if (!found) throw notFound('Channel', `${argument}.channelId`);
  }
  return { organizationId, from, to, timeZone, channelId };
}

/** The period of the same length just before (for "compared with the previous period"). */
export const previousPeriod = <R extends { from: Date; to: Date }>(range: R): R => {
  const length = range.to.getTime() - range.from.getTime();
  return { ...range, from: new Date(range.from.getTime() - length), to: new Date(range.from.getTime()) };
};

export const floorBucket = (at: Date) => new Date(Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS);
export const ceilBucket = (at: Date) => new Date(Math.ceil(at.getTime() / BUCKET_MS) * BUCKET_MS);

export interface Interval {
  from: Date;
  to: Date;
}

/**
 * Splits [from, to) into whole quarter hours that rollups answer (those before `completeBefore`,
 * the refresher's mark) and the rest that raw rows answer: the ragged edges and the current,
 * partial period. Answers are therefore never staler than the refresher's last run.
 */
export function splitRange(from: Date, to: Date, completeBefore: Date): { rollup: Interval | null; raw: Interval[] } {
  const start = ceilBucket(from);
  const end = new Date(Math.min(floorBucket(to).getTime(), floorBucket(completeBefore).getTime()));
  if (start.getTime() >= end.getTime()) return { rollup: null, raw: [{ from, to }] };
  const raw: Interval[] = [];
  if (from.getTime() < start.getTime()) raw.push({ from, to: start });
  if (end.getTime() < to.getTime()) raw.push({ from: end, to });
  return { rollup: { from: start, to: end }, raw };
}

/** The refresher's mark: every quarter hour before it is fully reflected in the rollups. */
export async function rollupsCompleteBefore(em: EntityManager): Promise<Date> {
  const [row] = await sql<{ complete_before: Date }>(em, 'select complete_before from analytics_refresh_state where id = 1');
  return row ? new Date(row.complete_before) : new Date(0);
}
