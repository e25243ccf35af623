import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, Max, Min } from 'class-validator';
import { MAX_PROBE_DELAY_MS } from '../../jobs/queues';

@InputType()
export class ProbeWorkersInput {
  @Field(() => Int, { nullable: true, description: 'How long the probe job holds a worker, in ms (default 0, at most 10,000)' })
  @IsOptional()
  @Min(0)
  @Max(Math.min(MAX_PROBE_DELAY_MS, 10_000))
  delayMs?: number | null;
}

@ObjectType({ description: 'A job that went through the queue and a worker and came back' })
export class ProbeWorkersPayload {
  @Field()
  jobId!: string;

  @Field({ description: 'host:pid of the worker that ran it' })
  processedBy!: string;

  @Field(() => Int, { description: 'From enqueue to completion' })
  latencyMs!: number;
}
