import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { FlowDefinition, FlowNode } from '../../../domain/flow/flow-definition';
import { messageOptions } from '../../../domain/flow/message-content';
import { isUuid } from '../../../db/find-by-id';
import { uuidArray } from './uuid-array';
import { DEFAULT_SESSION_TTL_MINUTES, type FlowLogEvent, type FlowVersionFacts, type VersionLookup } from './flow-session.derivation';

/** Published versions never change, so each process keeps the facts of the most used ones. */
const CACHE_SIZE = 1000;
const cache = new Map<string, FlowVersionFacts>();
const keyOf = (flowId: string, version: number) => `${flowId}:${version}`;

export const waitsForReply = (node: FlowNode) => node.type === 'question' || (node.type === 'message' && messageOptions(node).length > 0);

export function versionFacts(definition: FlowDefinition): FlowVersionFacts {
  const nodes = Array.isArray(definition.nodes) ? definition.nodes : [];
  return {
    ttlMinutes: definition.sessionTtlMinutes ?? DEFAULT_SESSION_TTL_MINUTES,
    waitsForReply: new Set(nodes.filter(waitsForReply).map((node) => node.id)),
  };
}

/** The TTL and waiting nodes of every flow version the events name, from the cache or one query. */
export async function flowVersionFacts(em: EntityManager, logs: Iterable<FlowLogEvent[]>): Promise<VersionLookup> {
  const found = new Map<string, FlowVersionFacts>();
  const missing = new Set<string>();
  const missingFlows = new Set<string>();
  for (const events of logs) {
    for (const event of events) {
      const { flowId, flowVersion } = event.data;
      if (event.type !== 'BOT' || typeof flowId !== 'string' || !isUuid(flowId) || typeof flowVersion !== 'number') continue;
      const key = keyOf(flowId, flowVersion);
      const cached = cache.get(key);
      if (cached) found.set(key, cached);
      else if (!missing.has(key)) {
        missing.add(key);
        missingFlows.add(flowId);
      }
    }
  }
  if (missing.size) {
    const rows = await sql<{ flow_id: string; version: number; definition: FlowDefinition }>(
      em,
      'select flow_id, version, definition from flow_version where flow_id = any(?::uuid[])',
      [uuidArray([...missingFlows])],
    );
    for (const row of rows) {
      const key = keyOf(row.flow_id, row.version);
      if (!missing.has(key)) continue;
      const facts = versionFacts(row.definition);
      found.set(key, facts);
      cache.set(key, facts);
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
  }
  return (flowId, version) => found.get(keyOf(flowId, version));
}
