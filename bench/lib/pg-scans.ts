import type { Client } from 'pg';

/** Sequential scans so far per table, and the rows they read (pg_stat_user_tables). */
export type ScanCounts = Map<string, { scans: number; rows: number }>;

export async function sequentialScans(db: Client): Promise<ScanCounts> {
  const { rows } = await db.query<{ relname: string; seq_scan: string; seq_tup_read: string }>('select relname, seq_scan, seq_tup_read from pg_stat_user_tables');
  return new Map(rows.map((row) => [row.relname, { scans: Number(row.seq_scan), rows: Number(row.seq_tup_read) }]));
}

/**
 * The tables read by sequential scans between two counts, per message, most rows first: on a hot
 * path a sequential scan means a plan made for a table PostgreSQL believes tiny. The counters reach
 * the statistics a moment after their transaction ends: take `after` a second or two after the run.
 */
export function describeSequentialScans(before: ScanCounts, after: ScanCounts, messages: number): string {
  const tables = [...after]
    .map(([table, now]) => ({ table, scans: now.scans - (before.get(table)?.scans ?? 0), rows: now.rows - (before.get(table)?.rows ?? 0) }))
    .filter((table) => table.scans > 0)
    .sort((a, b) => b.rows - a.rows);
  if (!tables.length) return 'none';
  return tables.map(({ table, scans, rows }) => `${table} ${(scans / messages).toFixed(2)} per message reading ${(rows / messages).toFixed(1)} rows`).join('; ');
}
