import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

@ObjectType({ description: 'Relay page information' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** A Relay connection of `Node`: `edges { cursor node }`, `pageInfo` and `totalCount`. */
export function Connection<Node extends object>(NodeClass: ClassType<Node>) {
  @ObjectType(`${NodeClass.name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => NodeClass)
    node!: Node;
  }

  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }

  return ConnectionType;
}
