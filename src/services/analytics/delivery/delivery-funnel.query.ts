import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { Interval } from '../analytics-range';
import type { DeliveryGrouping } from './delivery-grouping';
import { withinSql, type SpanCover } from './delivery-spans';
import { REACHED_STAGES, STAGE_COLUMNS } from './delivery-stages.sql';
import type { DeliveryStageCounts } from './delivery-figures';

/** A report's scope after validation: every id belongs to the organization. */
export interface DeliveryScope {
  organizationId: string;
  by: DeliveryGrouping;
  channelId: string | null;
  flowId: string | null;
  flowVersion: number | null;
  templateId: string | null;
}

/** Where the figures come from: whole rollup spans, and raw messages for the rest of the range. */
export interface DeliverySources {
  rollup: SpanCover[];
  raw: Interval[];
}

/** The grouping's columns are present (the others absent). */
interface GroupColumns {
  channel_id?: string;
  template_id?: string;
  flow_id?: string;
  flow_version?: number | null;
  flow_node_id?: string;
}

export interface CounterRow extends GroupColumns, DeliveryStageCounts {
  pricing_category: string | null;
  /** The group's display fields, from the channel, template or flow row. */
  name: string | null;
  language: string | null;
  category: string | null;
  display_phone_number: string | null;
}

export interface FailureRow extends GroupColumns {
  error_code: string | null;
  error_title: string | null;
  failed: number;
}

export const GROUP_COLUMNS: Record<DeliveryGrouping, readonly string[]> = {
  CHANNEL: ['channel_id'],
  TEMPLATE: ['template_id'],
  FLOW_NODE: ['flow_id', 'flow_version', 'flow_node_id'],
};

/** The group's own row (for its name); an inner join, so rows of a vanished template or flow drop out as their raw messages do. */
const GROUP_JOIN: Record<DeliveryGrouping, string> = {
  CHANNEL: `join channel c on c.id = g.channel_id and c.organization_id = ?`,
  TEMPLATE: `join template t on t.id = g.template_id and t.organization_id = ?`,
  FLOW_NODE: `join flow f on f.id = g.flow_id and f.organization_id = ?`,
};
const GROUP_FIELDS: Record<DeliveryGrouping, string> = {
  CHANNEL: 'c.name, null as language, null as category, c.display_phone_number',
  TEMPLATE: 't.name, t.language, t.category, null as display_phone_number',
  FLOW_NODE: 'f.name, null as language, null as category, null as display_phone_number',
};

function filtersSql(scope: DeliveryScope, prefix: string): { text: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const equal = (column: string, value: unknown) => {
    if (value === null) return;
    conditions.push(`${prefix}${column} = ?`);
    params.push(value);
  };
  equal('channel_id', scope.channelId);
  equal('flow_id', scope.flowId);
  equal('flow_version', scope.flowVersion);
  equal('template_id', scope.templateId);
  // Only messages that have what the rows are grouped by.
  conditions.push(`${prefix}${GROUP_COLUMNS[scope.by][0]} is not null`);
  return { text: conditions.join(' and '), params };
}

function rollupSpansSql(rollup: SpanCover[]): { text: string; params: unknown[] } {
  return {
    text: `(${rollup.map(() => '(span_minutes = ? and bucket >= ? and bucket < ?)').join(' or ')})`,
    params: rollup.flatMap((cover) => [cover.span, cover.from, cover.to]),
  };
}

/**
 * Rollup rows of the covered spans and raw rows of the rest, as one relation. `rollupColumns`
 * selects from the rollup table; `rawSelect` builds the same columns from `message m` rows
 * matching the condition it is given.
 */
function unionSources(
  scope: DeliveryScope,
  sources: DeliverySources,
  table: string,
  rollupColumns: string,
  rawSelect: (condition: string) => string,
): { text: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (sources.rollup.length) {
    const spans = rollupSpansSql(sources.rollup);
    const filters = filtersSql(scope, '');
    parts.push(`select ${rollupColumns} from ${table} where organization_id = ? and ${spans.text} and ${filters.text}`);
    params.push(scope.organizationId, ...spans.params, ...filters.params);
  }
  if (sources.raw.length) {
    const created = withinSql('m.created_at', sources.raw);
    const filters = filtersSql(scope, 'm.');
    parts.push(rawSelect(`m.organization_id = ? and m.direction = 'OUT' and ${created.text} and ${filters.text}`));
    params.push(scope.organizationId, ...created.params, ...filters.params);
  }
  return { text: parts.join(' union all '), params };
}

const STAGES = ['queued', 'sent', 'delivered', 'read', 'replied', 'failed'] as const;

/** Stage counters per group and pricing category, with each group's display fields. */
export async function selectCounters(em: EntityManager, scope: DeliveryScope, sources: DeliverySources): Promise<CounterRow[]> {
  const columns = GROUP_COLUMNS[scope.by];
  const key = columns.join(', ');
  const source = unionSources(
    scope,
    sources,
    'analytics_delivery',
    `${key}, pricing_category, ${STAGES.join(', ')}`,
    (condition) => `select ${key}, pricing_category, 1 as queued, ${STAGES.slice(1).map((stage) => `${stage}::int as ${stage}`).join(', ')}
                      from (select ${columns.map((column) => `m.${column}`).join(', ')}, m.pricing_category, ${STAGE_COLUMNS}
                              from message m ${REACHED_STAGES} where ${condition}) facts`,
  );
  if (!source.text) return [];
  return sql<CounterRow>(
    em,
    `select g.*, ${GROUP_FIELDS[scope.by]}
       from (select ${key}, pricing_category, ${STAGES.map((stage) => `sum(${stage})::int as ${stage}`).join(', ')}
               from (${source.text}) source
              group by ${key}, pricing_category) g
       ${GROUP_JOIN[scope.by]}`,
    [...source.params, scope.organizationId],
  );
}

/** Failed messages per group, error code and title. */
export async function selectFailures(em: EntityManager, scope: DeliveryScope, sources: DeliverySources): Promise<FailureRow[]> {
  const columns = GROUP_COLUMNS[scope.by];
  const key = columns.join(', ');
  const source = unionSources(
    scope,
    sources,
    'analytics_delivery_failure',
    `${key}, error_code, error_title, failed`,
    (condition) => `select ${columns.map((column) => `m.${column}`).join(', ')}, m.error_code, m.error_title, 1 as failed
                      from message m where ${condition} and m.status = 'FAILED'`,
  );
  if (!source.text) return [];
  return sql<FailureRow>(
    em,
    `select ${key}, error_code, error_title, sum(failed)::int as failed from (${source.text}) source group by ${key}, error_code, error_title`,
    source.params,
  );
}
