import type { BucketRollupBuilder } from '../rollup-builder';

// PLACEHOLDER: replaced by the slice's real builder.
export const activityRollupBuilder: BucketRollupBuilder = {
  kind: 'bucket',
  name: 'activity',
  async rebuildBuckets() {},
};
