import { percentile } from '../lib/stats';

export interface TimedQuery {
  name: string;
  label: string;
  /** A GraphQL document, or a GET path (for the JSON lines export). */
  query?: string;
  get?: string;
  variables?: Record<string, unknown>;
}

export interface QueryFigures {
  name: string;
  label: string;
  runs: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
  bytes: number;
  error: string | null;
  /** The body of the last answer (for --dump). */
  body: string;
}

async function once(url: string, token: string, query: TimedQuery): Promise<{ ms: number; bytes: number; error: string | null; body: string }> {
  const started = performance.now();
  const response = query.get
    ? await fetch(`${url}${query.get}`, { headers: { authorization: `Bearer ${token}` } })
    : await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: query.query, variables: query.variables ?? {} }),
      });
  const text = await response.text();
  const ms = performance.now() - started;
  if (query.get) return { ms, bytes: text.length, error: response.ok ? null : `HTTP ${response.status}: ${text.slice(0, 300)}`, body: text };
  let error: string | null = null;
  try {
    const body = JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string; field?: string } }[]; data?: unknown };
    if (body.errors?.length) {
      const first = body.errors[0]!;
      error = `${first.extensions?.code ?? 'ERROR'}${first.extensions?.field ? ` (${first.extensions.field})` : ''}: ${first.message}`.slice(0, 300);
    } else if (!body.data) error = `HTTP ${response.status}: no data`;
  } catch {
    error = `HTTP ${response.status}: ${text.slice(0, 200)}`;
  }
  return { ms, bytes: text.length, error, body: text };
}

/**
 * Times one report through HTTP like a client: `warmup` calls first (plans, caches, JIT), then
 * `runs` sequential calls. A query that fails is reported with its error, not retried.
 */
export async function timeQuery(url: string, token: string, query: TimedQuery, warmup: number, runs: number): Promise<QueryFigures> {
  const figures: QueryFigures = { name: query.name, label: query.label, runs: 0, p50: NaN, p95: NaN, max: NaN, mean: NaN, bytes: 0, error: null, body: '' };
  try {
    for (let i = 0; i < warmup; i++) {
      const result = await once(url, token, query);
      if (result.error) return { ...figures, error: result.error, body: result.body };
    }
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const result = await once(url, token, query);
      if (result.error) return { ...figures, error: result.error, body: result.body };
      samples.push(result.ms);
      figures.bytes = result.bytes;
      figures.body = result.body;
    }
    samples.sort((a, b) => a - b);
    return {
      ...figures,
      runs: samples.length,
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      max: samples.at(-1)!,
      mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
    };
  } catch (error) {
    return { ...figures, error: (error as Error).message };
  }
}
