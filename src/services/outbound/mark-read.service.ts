import { Message, MessageDirection } from '../../entities/message.entity';
import type { EntityManager } from '../../db/entity-manager';
import type { SecretBox } from '../../auth/secret-box';
import type { GraphApiClient } from '../../meta/graph-api.client';

/** Tells Meta the customer's message was read (blue ticks). Idempotent on Meta's side. */
export async function markReadAtMeta(em: EntityManager, graph: GraphApiClient, secrets: SecretBox, messageId: string): Promise<boolean> {
  const message = await em.findOne(Message, { id: messageId, direction: MessageDirection.IN }, { populate: ['channel'] });
  if (!message?.wamid) return false;
  await graph.markRead(message.channel.phoneNumberId, secrets.open(message.channel.accessTokenEncrypted), message.wamid);
  return true;
}
