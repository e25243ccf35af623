import { DeliveryTally } from '../../src/services/analytics/delivery/delivery-figures';
import { coverWithSpans, mergeSpans, withinSql } from '../../src/services/analytics/delivery/delivery-spans';

/** The pure parts of the delivery funnel: which rollup spans answer a range, and how tallies add up. */

const t = (iso: string) => new Date(iso);
const described = (covers: ReturnType<typeof coverWithSpans>) => covers.map((cover) => `${cover.span} ${cover.from.toISOString()} ${cover.to.toISOString()}`);

describe('coverWithSpans', () => {
  it('tiles a range with the coarsest whole spans in the middle and finer ones at the ragged ends', () => {
    // 64-day blocks start every 64 days from the epoch: 2026-06-04 is one; 8-day blocks too (2026-06-04, -06-12, ...).
    expect(described(coverWithSpans(t('2026-06-02T10:15:00Z'), t('2026-08-10T03:00:00Z')))).toEqual([
      '15 2026-06-02T10:15:00.000Z 2026-06-03T00:00:00.000Z',
      '1440 2026-06-03T00:00:00.000Z 2026-06-04T00:00:00.000Z',
      '92160 2026-06-04T00:00:00.000Z 2026-08-07T00:00:00.000Z',
      '1440 2026-08-07T00:00:00.000Z 2026-08-10T00:00:00.000Z',
      '15 2026-08-10T00:00:00.000Z 2026-08-10T03:00:00.000Z',
    ]);
    expect(described(coverWithSpans(t('2026-06-01T00:00:00Z'), t('2026-06-30T00:00:00Z')))).toEqual([
      '1440 2026-06-01T00:00:00.000Z 2026-06-04T00:00:00.000Z',
      '11520 2026-06-04T00:00:00.000Z 2026-06-28T00:00:00.000Z',
      '1440 2026-06-28T00:00:00.000Z 2026-06-30T00:00:00.000Z',
    ]);
  });

  it('uses quarter hours alone when no whole day fits, and nothing for an empty range', () => {
    expect(described(coverWithSpans(t('2026-06-10T23:00:00Z'), t('2026-06-11T01:00:00Z')))).toEqual([
      '15 2026-06-10T23:00:00.000Z 2026-06-11T01:00:00.000Z',
    ]);
    expect(coverWithSpans(t('2026-06-10T10:00:00Z'), t('2026-06-10T10:00:00Z'))).toEqual([]);
  });

  it('covers 400 days with a few dozen spans', () => {
    const covers = coverWithSpans(t('2025-10-20T05:15:00Z'), t('2026-11-24T05:15:00Z'));
    expect(covers.length).toBeLessThan(30);
    expect(covers[0]!.from).toEqual(t('2025-10-20T05:15:00Z'));
    expect(covers.at(-1)!.to).toEqual(t('2026-11-24T05:15:00Z'));
    for (let index = 1; index < covers.length; index++) expect(covers[index]!.from).toEqual(covers[index - 1]!.to);
  });
});

describe('mergeSpans and withinSql', () => {
  it('merges touching periods and binds each bound as a value', () => {
    const merged = mergeSpans([t('2026-06-10T10:00:00Z'), t('2026-06-10T10:15:00Z'), t('2026-06-10T11:00:00Z')], 15);
    expect(merged).toEqual([
      { from: t('2026-06-10T10:00:00Z'), to: t('2026-06-10T10:30:00Z') },
      { from: t('2026-06-10T11:00:00Z'), to: t('2026-06-10T11:15:00Z') },
    ]);
    expect(withinSql('m.created_at', merged)).toEqual({
      text: '((m.created_at >= ? and m.created_at < ?) or (m.created_at >= ? and m.created_at < ?))',
      params: [t('2026-06-10T10:00:00Z'), t('2026-06-10T10:30:00Z'), t('2026-06-10T11:00:00Z'), t('2026-06-10T11:15:00Z')],
    });
    expect(withinSql('bucket', [])).toEqual({ text: 'false', params: [] });
  });
});

describe('DeliveryTally', () => {
  it('keeps the ten most frequent codes, each with the title most of its failures carried', () => {
    const tally = new DeliveryTally();
    for (let code = 1; code <= 12; code++) tally.addFailures(String(130_000 + code), `title ${code}`, code);
    tally.addFailures('130001', 'other wording', 20); // 21 in all: now the most frequent code
    tally.addFailures(null, null, 2);
    const top = tally.figures().topFailures;
    expect(top).toHaveLength(10);
    expect(top[0]).toEqual({ code: '130001', title: 'other wording', count: 21 });
    expect(top.slice(1).map((failure) => failure.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4]);
  });

  it('gives null rates for empty denominators and sums tallies', () => {
    const empty = new DeliveryTally().figures();
    expect([empty.sentRate, empty.deliveredRate, empty.readRate, empty.replyRate, empty.failureRate]).toEqual([null, null, null, null, null]);
    const a = new DeliveryTally();
    a.addCounts({ queued: 4, sent: 3, delivered: 2, read: 1, replied: 1, failed: 1 }, 'service');
    const b = new DeliveryTally();
    b.addCounts({ queued: 1, sent: 1, delivered: 0, read: 0, replied: 0, failed: 0 }, null);
    b.addFailures('131026', 'Message undeliverable', 1);
    const sum = new DeliveryTally();
    sum.addTally(a);
    sum.addTally(b);
    expect(sum.figures()).toEqual({
      queued: 5, sent: 4, delivered: 2, read: 1, replied: 1, failed: 1,
      sentRate: 4 / 5, deliveredRate: 2 / 4, readRate: 1 / 2, replyRate: 1 / 2, failureRate: 1 / 5,
      topFailures: [{ code: '131026', title: 'Message undeliverable', count: 1 }],
      pricingCategories: [{ category: 'service', count: 4 }],
    });
  });
});
