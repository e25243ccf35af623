import { AppError } from '../../src/domain/errors';
import {
  DEFAULT_THRESHOLDS,
  UserSegment,
  classify,
  dormantBefore,
  resolveThresholds,
  segmentsAsOf,
} from '../../src/services/analytics/activity/segment-rule';

const thresholds = { powerMinMessages: 10, activeMinMessages: 3, dormantAfterDays: 7 };
const asOf = new Date('2026-01-31T00:00:00.000Z');
const since = dormantBefore(asOf, thresholds);

function failure(run: () => unknown): { code: string; field: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, field: error.extensions.field };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('segment rule', () => {
  it('measures recency from the range end, or from now when the range ends later', () => {
    const now = new Date('2026-01-20T12:00:00.000Z');
    expect(segmentsAsOf(asOf, now)).toEqual(now);
    expect(segmentsAsOf(new Date('2026-01-10T00:00:00.000Z'), now)).toEqual(new Date('2026-01-10T00:00:00.000Z'));
    expect(since).toEqual(new Date('2026-01-24T00:00:00.000Z'));
  });

  it('puts dormancy first, then the message thresholds, boundaries included', () => {
    const recent = new Date('2026-01-30T00:00:00.000Z');
    expect(classify(50, new Date(since.getTime() - 1), since, thresholds)).toBe(UserSegment.DORMANT);
    expect(classify(1, since, since, thresholds)).toBe(UserSegment.CASUAL);
    expect(classify(10, recent, since, thresholds)).toBe(UserSegment.POWER);
    expect(classify(9, recent, since, thresholds)).toBe(UserSegment.ACTIVE);
    expect(classify(3, recent, since, thresholds)).toBe(UserSegment.ACTIVE);
    expect(classify(2, recent, since, thresholds)).toBe(UserSegment.CASUAL);
  });

  it('fills defaults and keeps what is given', () => {
    expect(resolveThresholds(null)).toEqual(DEFAULT_THRESHOLDS);
    expect(resolveThresholds({ dormantAfterDays: 30 })).toEqual({ ...DEFAULT_THRESHOLDS, dormantAfterDays: 30 });
    expect(resolveThresholds({ powerMinMessages: 2, activeMinMessages: 1, dormantAfterDays: null })).toEqual({
      powerMinMessages: 2, activeMinMessages: 1, dormantAfterDays: DEFAULT_THRESHOLDS.dormantAfterDays,
    });
  });

  it.each([
    [{ powerMinMessages: 0 }, 'thresholds.powerMinMessages'],
    [{ powerMinMessages: 1.5 }, 'thresholds.powerMinMessages'],
    [{ activeMinMessages: 0 }, 'thresholds.activeMinMessages'],
    [{ activeMinMessages: 1_000_001, powerMinMessages: 1_000_000 }, 'thresholds.activeMinMessages'],
    [{ dormantAfterDays: -1 }, 'thresholds.dormantAfterDays'],
    [{ dormantAfterDays: 401 }, 'thresholds.dormantAfterDays'],
    [{ powerMinMessages: 3, activeMinMessages: 3 }, 'thresholds.powerMinMessages'],
    [{ powerMinMessages: 2, activeMinMessages: 3 }, 'thresholds.powerMinMessages'],
  ])('rejects %j naming %s', (input, field) => {
    expect(failure(() => resolveThresholds(input))).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});
