import { Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { MessageStatus } from '../domain/message-status';
import { TenantEntity } from './tenant.entity';

/**
 * Every status webhook we accepted, once per (wamid, status): the dedupe key, the history of
 * transitions, and the parking place for statuses that arrive before their message is known.
 */
@Entity()
@Unique({ properties: ['wamid', 'status'] })
export class MessageStatusUpdate extends TenantEntity<'appliedAt'> {
  @Property({ length: 255 })
  wamid!: string;

  @Enum({ items: () => MessageStatus, nativeEnumName: 'message_status' })
  status!: MessageStatus;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** Null while parked: the message with this wamid is not known yet. */
  @Property({ type: 'timestamptz', nullable: true })
  appliedAt?: Date | null;
}
