import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import { isUuid } from '../../db/find-by-id';
import type { Orm } from '../../db/orm';
import { Channel } from '../../entities/channel.entity';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Flow } from '../../entities/flow.entity';
import { Message } from '../../entities/message.entity';
import type { TenantEntity } from '../../entities/tenant.entity';
import { User } from '../../entities/user.entity';
import type { ConversationEventRoot, LiveRoot } from './live-event';
import { rowViewOf } from './row-view';

const ENTITIES = { channel: Channel, contact: Contact, conversation: Conversation, flow: Flow, message: Message, user: User } as const;

type Kind = keyof typeof ENTITIES;
export type LiveLoaderSet = { [K in Kind]: DataLoader<string, InstanceType<(typeof ENTITIES)[K]> | null> };

type AnyLoader = DataLoader<string, TenantEntity | null>;

/** One organization's loaders of a tick, each made when first read: an event needs one or two kinds. */
class OrganizationLoaders implements LiveLoaderSet {
  private readonly made = new Map<Kind, AnyLoader>();

  constructor(
    private readonly organizationId: string,
    private readonly shared: (kind: Kind) => AnyLoader,
  ) {}

  get channel() {
    return this.loader('channel') as LiveLoaderSet['channel'];
  }
  get contact() {
    return this.loader('contact') as LiveLoaderSet['contact'];
  }
  get conversation() {
    return this.loader('conversation') as LiveLoaderSet['conversation'];
  }
  get flow() {
    return this.loader('flow') as LiveLoaderSet['flow'];
  }
  get message() {
    return this.loader('message') as LiveLoaderSet['message'];
  }
  get user() {
    return this.loader('user') as LiveLoaderSet['user'];
  }

  private loader(kind: Kind): AnyLoader {
    let loader = this.made.get(kind);
    if (!loader) {
      const shared = this.shared(kind);
      this.made.set(kind, (loader = new DataLoader((ids) => Promise.all(ids.map((id) => shared.load(`${this.organizationId}\n${id}`))))));
    }
    return loader;
  }
}

/** The loaders of one tick: one query per entity type for every organization's reads. */
class Generation {
  private readonly em: EntityManager;
  private readonly shared = new Map<Kind, AnyLoader>();
  private readonly perOrganization = new Map<string, LiveLoaderSet>();
  private readonly primed = new Set<string>();

  constructor(orm: Orm) {
    this.em = systemEm(orm);
  }

  forOrganization(organizationId: string): LiveLoaderSet {
    let loaders = this.perOrganization.get(organizationId);
    if (!loaders) this.perOrganization.set(organizationId, (loaders = new OrganizationLoaders(organizationId, (kind) => this.sharedLoader(kind))));
    return loaders;
  }

  /** A message (a view of the row an event carries) answers this tick's reads of it. */
  primeMessage(organizationId: string, row: Record<string, unknown>, view: (row: Record<string, unknown>) => Message) {
    const key = `${organizationId}\n${String(row.id)}`;
    if (this.primed.has(key) || row.organization_id !== organizationId) return;
    this.primed.add(key);
    this.sharedLoader('message').clear(key).prime(key, view(row) as unknown as TenantEntity);
  }

  private sharedLoader(kind: Kind): AnyLoader {
    let loader = this.shared.get(kind);
    if (!loader) {
      loader = new DataLoader(async (keys) => {
        const wanted = keys.map((key) => {
          const [organizationId, id] = key.split('\n') as [string, string];
          return { organizationId, id };
        });
        const ids = [...new Set(wanted.map((entry) => entry.id).filter(isUuid))];
        const rows = ids.length ? await this.em.find(ENTITIES[kind] as EntityName<TenantEntity>, { id: { $in: ids } } as never) : [];
        const byId = new Map(rows.map((row) => [row.id, row]));
        // The query spans organizations: each answer goes only to the organization that owns the row.
        return wanted.map(({ organizationId, id }) => {
          const row = byId.get(id);
          return row && row.organization.id === organizationId ? row : null;
        });
      });
      this.shared.set(kind, loader);
    }
    return loader;
  }
}

/**
 * Loaders for executing live events. Request loaders would run one query per event and
 * organization; these batch every read of one tick (a burst of events over many organizations)
 * into one query per entity type, through a fresh EntityManager each tick so rows are read as
 * they are now. Each organization's loaders only ever return that organization's rows.
 */
export class LiveLoaders {
  private generation: Generation | null = null;
  private readonly messageView: (row: Record<string, unknown>) => Message;

  constructor(private readonly orm: Orm) {
    this.messageView = rowViewOf(orm, Message);
  }

  forOrganization(organizationId: string): LiveLoaderSet {
    return this.current().forOrganization(organizationId);
  }

  /**
   * The message row a conversation event carries (read by the sequencer just after the commit)
   * serves this tick's reads of it: under load, the query it saves waits behind the writers. It
   * is shown through a plain view of the row (rowViewOf), not a MikroORM entity.
   */
  primeFrom(root: LiveRoot) {
    const event = (root as Partial<ConversationEventRoot>).event;
    if (event?.kind === 'conversation' && event.message) this.current().primeMessage(event.organizationId, event.message, this.messageView);
  }

  private current(): Generation {
    if (!this.generation) {
      this.generation = new Generation(this.orm);
      setImmediate(() => (this.generation = null));
    }
    return this.generation;
  }
}
