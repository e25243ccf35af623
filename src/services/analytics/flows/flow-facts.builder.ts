import type { ConversationFactsBuilder } from '../rollup-builder';

// PLACEHOLDER: replaced by the slice's real builder.
export const flowFactsBuilder: ConversationFactsBuilder = {
  kind: 'conversation',
  name: 'flow-sessions',
  async rebuildConversations() {},
};
