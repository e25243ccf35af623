import { badInput } from '../../../domain/errors';

/** Business hours as a client gives them (the GraphQL input BusinessHoursInput has this shape). */
export interface BusinessHoursArgs {
  timeZone?: string | null;
  /** ISO days of week, 1 = Monday ... 7 = Sunday (default Monday to Friday). */
  days?: number[] | null;
  /** HH:MM */
  start: string;
  /** HH:MM, after start; "24:00" is the end of the day. */
  end: string;
}

/** Validated business hours, in seconds of the local day. */
export interface BusinessHours {
  timeZone: string;
  /** ISO days of week, 1 = Monday, ascending. */
  days: number[];
  startSecond: number;
  endSecond: number;
}

const DEFAULT_DAYS = [1, 2, 3, 4, 5];

function secondOfDay(value: unknown, field: string, allowMidnightEnd: boolean): number {
  const match = typeof value === 'string' ? /^(\d{2}):(\d{2})$/.exec(value) : null;
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match ? Number(match[2]) : NaN;
  const valid = match && minutes < 60 && (hours < 24 || (allowMidnightEnd && hours === 24 && minutes === 0));
  if (!valid) throw badInput(field, `${field.split('.').pop()} must be a time of day as HH:MM, e.g. "09:00"`);
  return hours * 3600 + minutes * 60;
}

/** Checks the input (each problem names its field: businessHours.start, ...); the zone is checked by the caller. */
export function parseBusinessHours(input: BusinessHoursArgs, defaultTimeZone: string, argument = 'businessHours'): BusinessHours {
  const startSecond = secondOfDay(input.start, `${argument}.start`, false);
  const endSecond = secondOfDay(input.end, `${argument}.end`, true);
  if (endSecond <= startSecond) throw badInput(`${argument}.end`, 'end must be after start');
  const days = input.days ?? DEFAULT_DAYS;
  if (!Array.isArray(days) || !days.length) throw badInput(`${argument}.days`, 'days must list at least one day (1 = Monday ... 7 = Sunday)');
  if (days.some((day) => !Number.isInteger(day) || day < 1 || day > 7)) throw badInput(`${argument}.days`, 'days are numbered 1 (Monday) to 7 (Sunday)');
  if (new Set(days).size !== days.length) throw badInput(`${argument}.days`, 'days must not repeat');
  return { timeZone: input.timeZone ?? defaultTimeZone, days: [...days].sort((a, b) => a - b), startSecond, endSecond };
}

const hhmm = (second: number) => `${String(Math.floor(second / 3600)).padStart(2, '0')}:${String(Math.floor((second % 3600) / 60)).padStart(2, '0')}`;

/** Business hours as a report states them back. */
export const describeBusinessHours = (hours: BusinessHours) => ({
  timeZone: hours.timeZone,
  days: hours.days,
  start: hhmm(hours.startSecond),
  end: hhmm(hours.endSecond),
});

/**
 * The week as the SQL business clock reads it. The clock of a local wall time is the business
 * seconds elapsed since a fixed Monday 00:00: whole weeks, plus the open days before this one,
 * plus the open part of today so far. A duration inside business hours is then a difference of
 * two clock readings, with no per-day loop.
 */
export interface BusinessClock {
  timeZone: string;
  startSecond: number;
  endSecond: number;
  /** Index 0 = Monday: business seconds from Monday 00:00 to that day's 00:00. */
  dayOffsets: number[];
  /** Index 0 = Monday: 1 when open that day, else 0. */
  dayOpen: number[];
  weekSeconds: number;
}

export function businessClock(hours: BusinessHours): BusinessClock {
  const open = new Set(hours.days);
  const daySeconds = hours.endSecond - hours.startSecond;
  const dayOpen = [1, 2, 3, 4, 5, 6, 7].map((day) => (open.has(day) ? 1 : 0));
  const dayOffsets: number[] = [];
  let offset = 0;
  for (const isOpen of dayOpen) {
    dayOffsets.push(offset);
    offset += isOpen * daySeconds;
  }
  return { timeZone: hours.timeZone, startSecond: hours.startSecond, endSecond: hours.endSecond, dayOffsets, dayOpen, weekSeconds: offset };
}

const DAY = 86_400;

/**
 * The clock reading (see BusinessClock) of a local wall time given as seconds since 1970-01-01
 * 00:00 local. The SQL in agent-metrics.query.ts computes exactly this; kept here, pure, so the
 * arithmetic is unit-tested.
 */
export function businessClockAt(clock: BusinessClock, localEpochSeconds: number): number {
  const day = Math.floor(localEpochSeconds / DAY);
  // 1970-01-01 was a Thursday: day + 3 counts days since Monday 1969-12-29.
  const sinceMonday = day + 3;
  const weekday = ((sinceMonday % 7) + 7) % 7; // 0 = Monday
  const secondOfDay = localEpochSeconds - day * DAY;
  const inDay = Math.min(Math.max(secondOfDay - clock.startSecond, 0), clock.endSecond - clock.startSecond);
  return Math.floor(sinceMonday / 7) * clock.weekSeconds + clock.dayOffsets[weekday]! + clock.dayOpen[weekday]! * inDay;
}
