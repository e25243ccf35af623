import type { RollupBuilder } from '../../src/services/analytics/rollup-builder';
import { ROLLUP_BUILDERS } from '../../src/services/analytics/rollup-registry';

/** The registered rollup builders, each wrapped to add up the time it spends (to show where a refresh goes). */
export function timedBuilders(): { builders: RollupBuilder[]; spent: Map<string, number> } {
  const spent = new Map<string, number>();
  const add = (name: string, started: number) => spent.set(name, (spent.get(name) ?? 0) + performance.now() - started);
  const builders = ROLLUP_BUILDERS.map((builder): RollupBuilder => {
    if (builder.kind === 'conversation') {
      return {
        ...builder,
        rebuildConversations: async (em, ids) => {
          const started = performance.now();
          try {
            await builder.rebuildConversations(em, ids);
          } finally {
            add(builder.name, started);
          }
        },
      };
    }
    return {
      ...builder,
      rebuildBuckets: async (em, work) => {
        const started = performance.now();
        try {
          await builder.rebuildBuckets(em, work);
        } finally {
          add(builder.name, started);
        }
      },
    };
  });
  return { builders, spent };
}
