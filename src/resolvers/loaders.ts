import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '../db/entity-manager';
import { Channel } from '../entities/channel.entity';
import { Contact } from '../entities/contact.entity';
import { Conversation } from '../entities/conversation.entity';
import { Flow } from '../entities/flow.entity';
import { Message } from '../entities/message.entity';
import { User } from '../entities/user.entity';

/** One query per entity type per tick, whatever the page size: what keeps list fields free of N+1. */
function byId<T extends { id: string }>(em: EntityManager, entity: EntityName<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await em.find(entity, { id: { $in: [...ids] } } as never);
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Per-request loaders over the request's tenant-scoped EntityManager. */
export function createLoaders(em: EntityManager) {
  return {
    channel: byId(em, Channel),
    contact: byId(em, Contact),
    conversation: byId(em, Conversation),
    flow: byId(em, Flow),
    message: byId(em, Message),
    user: byId(em, User),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
