import type { ConversationFactsBuilder } from '../rollup-builder';

// PLACEHOLDER: replaced by the slice's real builder.
export const agentFactsBuilder: ConversationFactsBuilder = {
  kind: 'conversation',
  name: 'agent-episodes',
  async rebuildConversations() {},
};
