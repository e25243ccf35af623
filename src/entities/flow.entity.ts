import { Entity, Index, Property } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { TenantEntity } from './tenant.entity';

/** A chatbot flow: an editable draft and, once published, numbered immutable versions. */
@ObjectType()
@Entity()
@Index({ properties: ['organization', 'name'] })
export class Flow extends TenantEntity<'description' | 'publishedVersion' | 'publishedKeywords' | 'archivedAt'> {
  @Field()
  @Property({ length: 200 })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  /** The definition being edited (DESIGN.md section 11 JSON); it runs only once published. */
  @Field(() => GraphQLJSONObject)
  @Property({ type: 'json' })
  draft!: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'The version new conversations start on' })
  @Property({ type: 'integer', nullable: true })
  publishedVersion?: number | null;

  /** Lower-cased trigger keywords of the published version, for the inbound lookup. */
  @Property({ type: 'text[]', nullable: true })
  publishedKeywords?: string[] | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  archivedAt?: Date | null;
}
