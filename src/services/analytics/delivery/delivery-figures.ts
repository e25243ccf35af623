/** How many messages reached each stage (see delivery-stages.sql.ts for what each means). */
export interface DeliveryStageCounts {
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
}

export interface DeliveryFailureCount {
  /** Meta's error code; null for failures of ours that have none. */
  code: string | null;
  /** The title most of these failures carried. */
  title: string | null;
  count: number;
}

export interface DeliveryPricingCount {
  category: string;
  count: number;
}

export interface DeliveryFigures extends DeliveryStageCounts {
  sentRate: number | null;
  deliveredRate: number | null;
  readRate: number | null;
  replyRate: number | null;
  failureRate: number | null;
  topFailures: DeliveryFailureCount[];
  pricingCategories: DeliveryPricingCount[];
}

export const TOP_FAILURES = 10;

export const emptyCounts = (): DeliveryStageCounts => ({ queued: 0, sent: 0, delivered: 0, read: 0, replied: 0, failed: 0 });

export function addCounts(into: DeliveryStageCounts, counts: DeliveryStageCounts): void {
  into.queued += counts.queued;
  into.sent += counts.sent;
  into.delivered += counts.delivered;
  into.read += counts.read;
  into.replied += counts.replied;
  into.failed += counts.failed;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** Tallies of one group (or of all): stage counts, failures by code and title, and messages per pricing category. */
export class DeliveryTally {
  readonly counts = emptyCounts();
  private readonly failures = new Map<string | null, Map<string | null, number>>();
  private readonly pricing = new Map<string, number>();

  addCounts(counts: DeliveryStageCounts, pricingCategory: string | null): void {
    addCounts(this.counts, counts);
    if (pricingCategory !== null) this.pricing.set(pricingCategory, (this.pricing.get(pricingCategory) ?? 0) + counts.queued);
  }

  addFailures(code: string | null, title: string | null, count: number): void {
    const titles = this.failures.get(code) ?? new Map<string | null, number>();
    titles.set(title, (titles.get(title) ?? 0) + count);
    this.failures.set(code, titles);
  }

  addTally(other: DeliveryTally): void {
    addCounts(this.counts, other.counts);
    for (const [category, count] of other.pricing) this.pricing.set(category, (this.pricing.get(category) ?? 0) + count);
    for (const [code, titles] of other.failures) for (const [title, count] of titles) this.addFailures(code, title, count);
  }

  figures(): DeliveryFigures {
    const { queued, sent, delivered, read, replied, failed } = this.counts;
    return {
      ...this.counts,
      sentRate: rate(sent, queued),
      deliveredRate: rate(delivered, sent),
      readRate: rate(read, delivered),
      replyRate: rate(replied, delivered),
      failureRate: rate(failed, queued),
      topFailures: this.topFailures(),
      pricingCategories: [...this.pricing]
        .map(([category, count]) => ({ category, count }))
        .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category)),
    };
  }

  /** Per code, the title most of its failures carried (Meta words one code differently now and then). */
  private topFailures(): DeliveryFailureCount[] {
    const byCode = [...this.failures].map(([code, titles]) => {
      const ranked = [...titles].sort(([titleA, a], [titleB, b]) => b - a || (titleA ?? '\uffff').localeCompare(titleB ?? '\uffff'));
      return { code, title: ranked[0]![0], count: ranked.reduce((sum, [, count]) => sum + count, 0) };
    });
    return byCode
      .sort((a, b) => b.count - a.count || (a.code ?? '\uffff').localeCompare(b.code ?? '\uffff'))
      .slice(0, TOP_FAILURES);
  }
}
