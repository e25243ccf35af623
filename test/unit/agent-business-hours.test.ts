import { AppError } from '../../src/domain/errors';
import {
  businessClock,
  businessClockAt,
  describeBusinessHours,
  parseBusinessHours,
  type BusinessHoursArgs,
} from '../../src/services/analytics/agents/business-hours';

const HOUR = 3600;
/** A local wall time as seconds since 1970-01-01 00:00 local (the clock's input). */
const local = (wallTime: string) => Date.parse(`${wallTime}Z`) / 1000;

function fieldOf(run: () => unknown): { code: string; field: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, field: error.extensions.field };
    throw error;
  }
  throw new Error('expected a BAD_USER_INPUT');
}

describe('parseBusinessHours', () => {
  it('reads HH:MM into seconds of the day, defaults the days to Monday-Friday and the zone to the given one', () => {
    expect(parseBusinessHours({ start: '09:00', end: '17:30' }, 'Europe/Berlin')).toEqual({
      timeZone: 'Europe/Berlin',
      days: [1, 2, 3, 4, 5],
      startSecond: 9 * HOUR,
      endSecond: 17.5 * HOUR,
    });
  });

  it('keeps its own zone, sorts the days, and allows 24:00 as the end of the day', () => {
    expect(parseBusinessHours({ timeZone: 'Asia/Tokyo', days: [7, 6], start: '00:00', end: '24:00' }, 'UTC')).toEqual({
      timeZone: 'Asia/Tokyo',
      days: [6, 7],
      startSecond: 0,
      endSecond: 24 * HOUR,
    });
  });

  it.each([
    ['start without a leading zero', { start: '9:00', end: '17:00' }, 'businessHours.start'],
    ['start at minute 60', { start: '09:60', end: '17:00' }, 'businessHours.start'],
    ['start at 24:00', { start: '24:00', end: '24:00' }, 'businessHours.start'],
    ['start with seconds', { start: '09:00:00', end: '17:00' }, 'businessHours.start'],
    ['end past midnight', { start: '09:00', end: '24:01' }, 'businessHours.end'],
    ['end in words', { start: '09:00', end: 'five pm' }, 'businessHours.end'],
    ['end before start', { start: '17:00', end: '09:00' }, 'businessHours.end'],
    ['end equal to start', { start: '09:00', end: '09:00' }, 'businessHours.end'],
    ['no days', { start: '09:00', end: '17:00', days: [] }, 'businessHours.days'],
    ['day 0', { start: '09:00', end: '17:00', days: [0, 1] }, 'businessHours.days'],
    ['day 8', { start: '09:00', end: '17:00', days: [8] }, 'businessHours.days'],
    ['a fractional day', { start: '09:00', end: '17:00', days: [1.5] }, 'businessHours.days'],
    ['a repeated day', { start: '09:00', end: '17:00', days: [1, 2, 1] }, 'businessHours.days'],
  ] as [string, BusinessHoursArgs, string][])('refuses %s with BAD_USER_INPUT naming the field', (_case, input, field) => {
    expect(fieldOf(() => parseBusinessHours(input, 'UTC'))).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('states the hours back as given', () => {
    const hours = parseBusinessHours({ days: [3, 1], start: '08:15', end: '24:00' }, 'UTC');
    expect(describeBusinessHours(hours)).toEqual({ timeZone: 'UTC', days: [1, 3], start: '08:15', end: '24:00' });
  });
});

describe('business clock', () => {
  const weekdays = businessClock(parseBusinessHours({ start: '09:00', end: '17:00' }, 'UTC'));
  const between = (clock: typeof weekdays, from: string, to: string) => businessClockAt(clock, local(to)) - businessClockAt(clock, local(from));

  it('lays the week out from Monday: offsets of each day, open days, seconds per week', () => {
    expect(weekdays.dayOffsets).toEqual([0, 8, 16, 24, 32, 40, 40].map((hours) => hours * HOUR));
    expect(weekdays.dayOpen).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(weekdays.weekSeconds).toBe(40 * HOUR);
  });

  // 2026-03-02 is a Monday; 2026-03-06 a Friday.
  it.each([
    ['inside one day', '2026-03-02T10:00:00', '2026-03-02T12:00:00', 2 * HOUR],
    ['from before opening', '2026-03-02T08:00:00', '2026-03-02T10:00:00', 1 * HOUR],
    ['to after closing', '2026-03-02T16:00:00', '2026-03-02T23:00:00', 1 * HOUR],
    ['all outside hours, overnight', '2026-03-02T18:00:00', '2026-03-03T08:59:00', 0],
    ['across a night', '2026-03-02T16:30:00', '2026-03-03T09:30:00', 1 * HOUR],
    ['across a weekend', '2026-03-06T16:00:00', '2026-03-09T10:00:00', 2 * HOUR],
    ['within a weekend', '2026-03-07T10:00:00', '2026-03-08T20:00:00', 0],
    ['a whole week', '2026-03-02T09:00:00', '2026-03-09T09:00:00', 40 * HOUR],
    ['with seconds', '2026-03-04T09:00:00', '2026-03-04T09:00:42', 42],
    ['across a year end (a Thursday)', '2026-12-31T16:00:00', '2027-01-01T10:00:00', 2 * HOUR],
  ])('%s', (_case, from, to, seconds) => {
    expect(between(weekdays, from, to)).toBe(seconds);
  });

  it('counts only the open days given: a weekend shift', () => {
    const weekend = businessClock(parseBusinessHours({ days: [6, 7], start: '10:00', end: '14:00' }, 'UTC'));
    expect(between(weekend, '2026-03-06T12:00:00', '2026-03-09T12:00:00')).toBe(8 * HOUR);
    expect(between(weekend, '2026-03-02T00:00:00', '2026-03-06T23:59:59')).toBe(0);
  });

  it('is wall-clock time when open all day, every day', () => {
    const always = businessClock(parseBusinessHours({ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' }, 'UTC'));
    expect(between(always, '2026-03-02T10:00:00', '2026-03-04T10:00:00')).toBe(48 * HOUR);
    expect(between(always, '2026-03-06T23:30:00', '2026-03-07T00:30:00')).toBe(1 * HOUR);
  });
});
