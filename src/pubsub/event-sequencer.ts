import type IORedis from 'ioredis';
import type { Logger } from 'pino';
import type { EntityManager } from '../db/entity-manager';
import { sql, statementName, type SqlClient, type SqlConnection } from '../db/sql';
import { organizationTopic } from './domain-event';

/** Events given their seq by one statement; a backlog is taken in several. */
const BATCH = 500;
/** Most events re-published after a relay died between its commit and its publish. */
const REPUBLISH_LIMIT = 5_000;
/** The session advisory lock that makes one relay run at a time per database (any number below 2^63). */
const RELAY_LOCK = '7406019001';
/** How often each process looks for events nobody sequenced (a producer that died after its commit). */
const DEFAULT_POLL_MS = 1_000;

interface SequencedRow {
  seq: string;
  organization_id: string;
  /** The DomainEvent as JSON, built by PostgreSQL: published as it is, never parsed here. */
  event: string;
  /** The highest seq before this statement: what the previous relay should have published. */
  previous: string;
}

/** The row of the message an event is about (its data's messageId), when there is one. */
const MESSAGE_OF_EVENT = (data: string) =>
  `(select row_to_json(m) from message m where m.id = case when ${data}->>'messageId' ~* '^[0-9a-f-]{36}$' then (${data}->>'messageId')::uuid end)`;

const ISO_TIME = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The DomainEvent of a conversation_event row, as JSON text, with the row of its message (null
 * when it is about none). Built by PostgreSQL because the relay only passes it on: reading it as
 * objects and writing it back as JSON cost the relay 25 µs of CPU per event, against 9 µs now.
 * row_to_json, not to_jsonb: writing the row as json skips building a jsonb value first, and made
 * this statement about 13% cheaper for PostgreSQL. `at` is written as Date.toISOString() writes it
 * (milliseconds, UTC).
 */
const EVENT_JSON = (row: string) => `json_build_object('kind', 'conversation', 'organizationId', ${row}.organization_id,
  'conversationId', ${row}.conversation_id, 'cursor', ${row}.seq::text, 'type', ${row}.type, 'data', ${row}.data,
  'at', ${ISO_TIME(`${row}.created_at`)}, 'message', ${MESSAGE_OF_EVENT(`${row}.data`)})::text`;

/*
 * Numbers committed, unsequenced events after the highest seq, in id order (the order a transaction
 * wrote them), and returns them as published events. It runs on its own (autocommit) under
 * RELAY_LOCK: when it returns, the seqs are committed, and no other relay is between its commit
 * and its publish.
 */
const SEQUENCE_SQL = `
  with pending as (select id from conversation_event where seq is null order by id limit $1),
  base as (select coalesce(max(seq), 0) as top from conversation_event),
  numbered as (select pending.id, base.top + row_number() over (order by pending.id) as seq from pending, base)
  update conversation_event e set seq = numbered.seq from numbered where e.id = numbered.id
  returning e.seq::text as seq, e.organization_id, ${EVENT_JSON('e')} as event, (select top from base)::text as previous`;

/**
 * The lock and a drain's first numbering in one round trip (two statements in PostgreSQL's simple
 * protocol, so the batch size is written in): most drains relay one commit's events and stop.
 */
const LOCK_AND_SEQUENCE_SQL = `select pg_advisory_lock(${RELAY_LOCK}); ${SEQUENCE_SQL.replace('limit $1', `limit ${BATCH}`)}`;

const REPUBLISH_SQL = `
  select seq::text as seq, organization_id, ${EVENT_JSON('conversation_event')} as event, '0' as previous
  from conversation_event where seq > $1 and seq <= $2 order by seq`;

/**
 * Gives conversation events their seq, the resume cursor of live feeds, in commit order, and
 * publishes them in that order.
 *
 * Ids are drawn when a row is inserted, so transactions committing out of order make ids visible
 * out of order: a subscriber could hold cursor 101 while 100 commits a moment later, and resuming
 * after 101 would skip 100. Here only committed rows are numbered, by one relay at a time (a
 * session advisory lock, held until the publish is done), each after the highest seq. So when a
 * subscriber receives seq N, every event below N is already committed and was published before
 * it: a replay after N misses nothing, and live events arrive in seq order.
 *
 * Any process may relay: producers `kick()` after their commit (every process that writes events
 * has a sequencer), and each process also polls, so events whose producer died after its commit
 * are published within a second. The highest seq published is kept in Redis, so a relay that
 * died between its commit and its publish is made good, in order, by the next one.
 */
export class EventSequencer {
  private running: Promise<void> | null = null;
  private again = false;
  /** The highest seq this process published (null: unknown, or its last publish failed). */
  private lastPublished: string | null = null;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly publishedKey: string;

  constructor(
    private readonly em: EntityManager,
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly pollMs = DEFAULT_POLL_MS,
  ) {
    this.publishedKey = `${prefix}:events:published-seq`;
    this.timer = setInterval(() => void this.poll(), pollMs);
    this.timer.unref();
  }

  /** Events were committed: sequence and publish them (soon; this does not wait). */
  kick(): void {
    if (this.closed) return;
    this.again = true;
    this.running ??= this.drainWhileKicked();
  }

  /**
   * Drains until no kick is left. A kick that lands while a drain gives its lock back still counts:
   * the check below and the end of `running` happen in one step, with no await between.
   */
  private async drainWhileKicked(): Promise<void> {
    try {
      // After a failure, the next kick or poll retries: no tight loop against a database that is down.
      while (this.again && !this.closed && (await this.drain()));
    } finally {
      this.running = null;
    }
  }

  /** Resolves when nothing is being relayed: what was kicked before has been published. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.idle();
    this.closed = true;
  }

  /**
   * Looks for events left unsequenced longer than a poll interval: their producer died after its
   * commit. Fresher ones are their producer's to relay; under load there always are some, and
   * taking them here made every process contend for the relay lock and relay (and parse, and
   * publish) batches meant for another, next to its own work.
   */
  private async poll() {
    if (this.running || this.closed) return;
    try {
      const waiting = await sql(this.em, 'select 1 from conversation_event where seq is null and created_at < now() - ? * interval \'1 millisecond\' limit 1', [
        this.pollMs,
      ]);
      if (waiting.length) this.kick();
    } catch (error) {
      this.log.warn({ err: error }, 'could not look for unsequenced conversation events');
    }
  }

  /** Relays until no kick came in meanwhile, holding the lock throughout; false when it failed. */
  private async drain(): Promise<boolean> {
    const pool = this.em.getKnex().client as unknown as SqlClient;
    let connection: SqlConnection | null = null;
    // Set before the lock is asked for: if its round trip fails, whether the lock was taken is unknown.
    let locked = false;
    try {
      connection = await pool.acquireConnection();
      locked = true;
      // Cleared before each numbering statement: a kick after it (its events may be too late for
      // that statement) makes another pass.
      this.again = false;
      const [, first] = (await connection.query({ text: LOCK_AND_SEQUENCE_SQL, values: [] })) as unknown as [unknown, { rows: SequencedRow[] }];
      let rows = first.rows;
      for (;;) {
        await this.relay(connection, rows);
        if (!this.again || this.closed) return true;
        this.again = false;
        rows = await query<SequencedRow>(connection, SEQUENCE_SQL, [BATCH]);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not sequence conversation events; retrying shortly');
      return false;
    } finally {
      if (connection) await this.release(pool, connection, locked);
    }
  }

  /** Publishes the numbered `rows`, then numbers and publishes more while a full batch came back. */
  private async relay(connection: SqlConnection, rows: SequencedRow[]): Promise<void> {
    while (rows.length) {
      rows.sort(bySeq);
      const missed = await this.missedBefore(connection, rows[0]!.previous);
      const top = rows[rows.length - 1]!.seq;
      this.lastPublished = (await this.publish([...missed, ...rows], top)) ? top : null;
      if (rows.length < BATCH) return;
      rows = await query<SequencedRow>(connection, SEQUENCE_SQL, [BATCH]);
    }
  }

  /**
   * Events a relay committed but did not publish (it died in between), up to `previous`, the
   * highest seq before this batch. When `previous` is what this process published last, nobody
   * numbered anything since, so there can be none and Redis's mark is not read.
   */
  private async missedBefore(connection: SqlConnection, previous: string): Promise<SequencedRow[]> {
    if (previous === this.lastPublished) return [];
    const marker = await this.redis.get(this.publishedKey);
    if (marker === null || BigInt(marker) >= BigInt(previous)) return [];
    const from = BigInt(previous) - BigInt(marker) > REPUBLISH_LIMIT ? String(BigInt(previous) - BigInt(REPUBLISH_LIMIT)) : marker;
    this.log.warn({ from, to: previous }, 're-publishing conversation events a previous relay committed but did not publish');
    return query<SequencedRow>(connection, REPUBLISH_SQL, [from, previous]);
  }

  /** In seq order, with the new mark, on one connection: Redis runs them in that order. False when Redis failed. */
  private async publish(rows: SequencedRow[], top: string): Promise<boolean> {
    // Not queued for a Redis that is away: the lock would be held, and every relay blocked, meanwhile.
    if (this.redis.status !== 'ready') return false;
    const pipeline = this.redis.pipeline();
    for (const row of rows) pipeline.publish(organizationTopic(this.prefix, row.organization_id), row.event);
    pipeline.set(this.publishedKey, top);
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
      return true;
    } catch (error) {
      // Subscribers' hubs see the same outage and catch up from the log when Redis is back.
      this.log.warn({ err: error, count: rows.length }, 'could not publish conversation events');
      return false;
    }
  }

  /** A connection whose unlock failed may still hold the lock: it is closed rather than pooled. */
  private async release(pool: SqlClient, connection: SqlConnection, locked: boolean) {
    if (locked) {
      try {
        await connection.query({ text: 'select pg_advisory_unlock($1)', values: [RELAY_LOCK] });
      } catch (error) {
        this.log.warn({ err: error }, 'could not release the event relay lock; closing its connection');
        await (connection as unknown as { end(): Promise<void> }).end().catch(() => undefined);
      }
    }
    await pool.releaseConnection(connection);
  }
}

const bySeq = (a: SequencedRow, b: SequencedRow) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1);

async function query<Row>(connection: SqlConnection, text: string, values: unknown[]): Promise<Row[]> {
  return (await connection.query({ name: statementName(text), text, values })).rows as Row[];
}
