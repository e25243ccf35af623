import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export enum DeliveryStatus {
  RECEIVED = 'RECEIVED',
  PROCESSED = 'PROCESSED',
  FAILED = 'FAILED',
}

/**
 * The durable inbox: every accepted POST from Meta, stored before we answer 200. Platform-owned
 * (one delivery may span several channels and organizations), so it is not tenant-scoped.
 */
@Entity()
@Index({ properties: ['status', 'receivedAt'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The exact body Meta signed. */
  @Property({ type: 'text' })
  rawBody!: string;

  @Property({ type: 'timestamptz' })
  receivedAt: Date = new Date();

  @Enum({ items: () => DeliveryStatus, nativeEnumName: 'delivery_status' })
  status: DeliveryStatus = DeliveryStatus.RECEIVED;

  @Property({ type: 'timestamptz', nullable: true })
  processedAt?: Date | null;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** Items skipped or quarantined while processing, with reasons. */
  @Property({ type: 'json', nullable: true })
  issues?: { path: string; kind: 'ignored' | 'quarantined'; reason: string }[] | null;
}
