import type { RollupBuilder } from './rollup-builder';
import { flowFactsBuilder } from './flows/flow-facts.builder';
import { activityRollupBuilder } from './activity/activity-rollup.builder';
import { deliveryRollupBuilder } from './delivery/delivery-rollup.builder';
import { agentFactsBuilder } from './agents/agent-facts.builder';

/** Every rollup the refresher and the rebuild job maintain. */
export const ROLLUP_BUILDERS: readonly RollupBuilder[] = [flowFactsBuilder, activityRollupBuilder, deliveryRollupBuilder, agentFactsBuilder];
