import type { BucketRollupBuilder } from '../rollup-builder';

// PLACEHOLDER: replaced by the slice's real builder.
export const deliveryRollupBuilder: BucketRollupBuilder = {
  kind: 'bucket',
  name: 'delivery',
  async rebuildBuckets() {},
};
