interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export interface StatementBatcherOptions {
  /** Items in one statement at most (default 100). */
  maxBatch?: number;
  /** Statements in flight at once (default 2): while one runs, the next batch forms and starts. */
  maxInFlight?: number;
}

/**
 * One statement for many concurrent callers, with group commit's rule: the calls that arrive while
 * the statements in flight are busy share the next one, and a lone call runs at once (no timer).
 * A statement costs planning, a round trip and often a commit whatever its row count, so under load
 * most of that is shared, and at rest nothing waits.
 *
 * `run` answers each item of a batch, in the batch's order. If it fails, each item of the batch runs
 * again alone, so a value that fails a statement fails only its own caller.
 */
export class StatementBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    options: StatementBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        // Every call made in this turn of the event loop joins the batch.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startBatches();
        });
      }
    });
  }

  private startBatches(): void {
    while (this.waiting.length && this.inFlight < this.maxInFlight) void this.runBatch(this.waiting.splice(0, this.maxBatch));
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight += 1;
    try {
      const results = await this.run(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => waiting.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else await Promise.all(batch.map((waiting) => this.run([waiting.item]).then(([result]) => waiting.resolve(result!), waiting.reject)));
    } finally {
      this.inFlight -= 1;
      this.startBatches();
    }
  }
}
