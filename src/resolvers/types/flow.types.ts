import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsNotEmpty, IsOptional, Max, MaxLength, Min } from 'class-validator';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Flow } from '../../entities/flow.entity';
import { Connection } from './connection.type';

@ObjectType()
export class FlowConnection extends Connection(Flow) {}

@InputType()
export class FlowFilter {
  @Field(() => Boolean, { nullable: true, description: 'Include archived flows (default false)' })
  @IsOptional()
  includeArchived?: boolean | null;
}

@InputType()
export class CreateFlowInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => GraphQLJSON, { description: 'The flow definition (DESIGN.md section 11 JSON)' })
  definition!: unknown;
}

@InputType()
export class UpdateFlowDraftInput {
  @Field(() => ID)
  flowId!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  @IsOptional()
  definition?: unknown;
}

@InputType()
export class FlowIdInput {
  @Field(() => ID)
  flowId!: string;
}

@InputType()
export class DuplicateFlowInput {
  @Field(() => ID)
  flowId!: string;

  @Field(() => String, { nullable: true, description: 'Default: "<name> (copy)"' })
  @IsOptional()
  @MaxLength(200)
  name?: string | null;
}

@InputType()
export class ValidateFlowInput {
  @Field(() => GraphQLJSON)
  definition!: unknown;
}

@ObjectType()
export class FlowProblem {
  @Field(() => String, { nullable: true, description: 'The node with the problem; null for the flow as a whole' })
  nodeId!: string | null;

  @Field()
  field!: string;

  @Field()
  message!: string;
}

@ObjectType()
export class ValidateFlowPayload {
  @Field()
  valid!: boolean;

  @Field(() => [FlowProblem])
  problems!: FlowProblem[];
}

@ObjectType()
export class FlowPayload {
  @Field(() => Flow)
  flow!: Flow;
}

@ObjectType()
export class ExportFlowPayload {
  @Field(() => GraphQLJSONObject, { description: 'The section 11 JSON' })
  definition!: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'The version exported; null for the draft' })
  version!: number | null;
}

@InputType()
export class ExportFlowInput {
  @Field(() => ID)
  flowId!: string;

  @Field(() => Int, { nullable: true, description: 'Default: the published version' })
  @IsOptional()
  @Min(1)
  @Max(1_000_000)
  version?: number | null;
}
