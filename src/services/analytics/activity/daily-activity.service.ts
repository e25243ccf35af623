import type { MemberScope } from '../../scope';
import { resolveRange, type AnalyticsRangeInput } from '../analytics-range';
import { countsByHour, rangeDays, rawContacts, type ContactRow } from './daily-activity.queries';
import { reportParts, type ReportOptions } from './report-parts';

export interface ActivityCounts {
  inbound: number;
  outbound: number;
  /** Contacts who wrote at least once. */
  activeContacts: number;
  /** Of them, those writing for the first time ever (on the channel, when filtered). */
  newContacts: number;
  /** activeContacts - newContacts. */
  returningContacts: number;
  conversationsOpened: number;
  conversationsClosed: number;
}

export interface ActivityDayReport extends ActivityCounts {
  /** Local date, YYYY-MM-DD. */
  date: string;
  startsAt: Date;
}

export interface HourOfWeekCount {
  /** ISO: 1 is Monday, 7 is Sunday. */
  dayOfWeek: number;
  hour: number;
  inbound: number;
  outbound: number;
  messages: number;
}

export interface DailyActivityReport {
  from: Date;
  to: Date;
  timeZone: string;
  channelId: string | null;
  days: ActivityDayReport[];
  totals: ActivityCounts;
  hourOfWeek: HourOfWeekCount[];
}

const emptyCounts = (): ActivityCounts => ({
  inbound: 0, outbound: 0, activeContacts: 0, newContacts: 0, returningContacts: 0, conversationsOpened: 0, conversationsClosed: 0,
});

const isoDayOfWeek = (date: string) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/**
 * dailyActivity: per local day (every day the range touches, zeros included) messages in and out,
 * active, new and returning contacts, conversations opened and closed; totals over the range; and
 * messages per hour of the week. Days are cut in the range's time zone, DST days included.
 */
export async function dailyActivity(scope: MemberScope, input: AnalyticsRangeInput, options: ReportOptions = {}): Promise<DailyActivityReport> {
  const range = await resolveRange(scope, input);
  const em = scope.em;
  const parts = await reportParts(em, range, options);
  const [days, hours, raw] = await Promise.all([
    rangeDays(em, range),
    countsByHour(em, range, parts),
    parts.raw.length ? rawContacts(em, range, parts) : Promise.resolve([] as ContactRow[]),
  ]);

  const byDay = new Map<string, ActivityDayReport>(days.map((row) => [row.day, { date: row.day, startsAt: new Date(row.starts_at), ...emptyCounts() }]));
  const totals = emptyCounts();
  const cells = new Map<string, HourOfWeekCount>();
  for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek++) {
    for (let hour = 0; hour < 24; hour++) cells.set(`${dayOfWeek}:${hour}`, { dayOfWeek, hour, inbound: 0, outbound: 0, messages: 0 });
  }

  for (const row of hours) {
    const day = byDay.get(row.day);
    for (const counts of day ? [day, totals] : [totals]) {
      counts.inbound += row.inbound;
      counts.outbound += row.outbound;
      counts.conversationsOpened += row.opened;
      counts.conversationsClosed += row.closed;
      counts.newContacts += row.new_contacts;
    }
    if (day) day.activeContacts += row.day_contacts;
    totals.activeContacts += row.range_contacts;
    const cell = cells.get(`${isoDayOfWeek(row.day)}:${row.hour}`)!;
    cell.inbound += row.inbound;
    cell.outbound += row.outbound;
    cell.messages += row.inbound + row.outbound;
  }
  for (const row of raw) {
    const counts = row.day === null ? totals : byDay.get(row.day);
    if (!counts) continue;
    counts.activeContacts += row.active;
    counts.newContacts += row.new;
  }
  for (const counts of [...byDay.values(), totals]) counts.returningContacts = counts.activeContacts - counts.newContacts;

  return { from: range.from, to: range.to, timeZone: range.timeZone, channelId: range.channelId, days: [...byDay.values()], totals, hourOfWeek: [...cells.values()] };
}
