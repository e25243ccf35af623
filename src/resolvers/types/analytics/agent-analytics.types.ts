import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional } from 'class-validator';
import type { BusinessHoursArgs } from '../../../services/analytics/agents/business-hours';

@InputType({ description: 'Opening hours: when given, only time inside them counts toward response and resolution times' })
export class BusinessHoursInput implements BusinessHoursArgs {
  @Field(() => String, { nullable: true, description: "IANA time zone of the hours (default: the range's)" })
  @IsOptional()
  timeZone?: string | null;

  @Field(() => [Int], { nullable: true, description: 'Open days, ISO numbering: 1 = Monday ... 7 = Sunday, each once (default 1-5)' })
  @IsOptional()
  days?: number[] | null;

  @Field({ description: 'Opening time, HH:MM on a 24-hour clock, e.g. "09:00"' })
  start!: string;

  @Field({ description: 'Closing time, HH:MM, after start; "24:00" is the end of the day' })
  end!: string;
}

@ObjectType({ description: 'The business hours a report applied' })
export class BusinessHours {
  @Field()
  timeZone!: string;

  @Field(() => [Int], { description: 'Open days, 1 = Monday ... 7 = Sunday' })
  days!: number[];

  @Field({ description: 'HH:MM' })
  start!: string;

  @Field({ description: 'HH:MM' })
  end!: string;
}

@ObjectType({ description: 'A duration over episodes, in seconds (median and p90 are null when count is 0)' })
export class DurationStats {
  @Field(() => Float, { nullable: true })
  median!: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile (interpolated)' })
  p90!: number | null;

  @Field(() => Int, { description: 'Episodes that have this duration' })
  count!: number;
}

/**
 * An episode is a stretch of a conversation that needed a person: from the moment it waited for an
 * agent (a handoff, an assignment, a reopen, or the customer writing while no bot answers) until
 * it was closed or given back to the bot. Episodes count in the range where they began.
 */
@ObjectType({ description: 'Agent work in a range, counted over the handling episodes that began in it' })
export class AgentMetricsTotals {
  @Field(() => Int, { description: 'Handling episodes' })
  episodes!: number;

  @Field(() => Int, { description: 'Distinct conversations among the episodes an agent handled' })
  conversationsHandled!: number;

  @Field(() => Int, { description: 'Messages agents wrote in the episodes' })
  messagesSent!: number;

  @Field(() => Int, { description: 'Episodes with an agent answer' })
  answeredEpisodes!: number;

  @Field(() => Int, { description: 'Episodes closed (resolved); the rest are still open or went back to the bot' })
  resolvedEpisodes!: number;

  @Field(() => DurationStats, { description: "From waiting for an agent to the first agent message" })
  firstResponseTime!: DurationStats;

  @Field(() => DurationStats, { description: 'From waiting for an agent to closing' })
  resolutionTime!: DurationStats;
}

@ObjectType({ description: 'Agent work over all agents' })
export class AgentMetricsOverall extends AgentMetricsTotals {
  @Field(() => Int, { description: 'Episodes no agent was assigned to or answered' })
  unattributedEpisodes!: number;
}

@ObjectType({
  description:
    "One member's work. An episode is theirs when they were its (last) assignee, or else its first answerer; messagesSent counts what they wrote in any episode",
})
export class AgentPerformance extends AgentMetricsTotals {
  @Field(() => ID, { description: "The member's user id" })
  agentId!: string;

  @Field(() => String, { nullable: true, description: 'Null if the member no longer exists' })
  name!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;
}

@ObjectType({ description: 'Agent response and resolution times, per agent and overall' })
export class AgentMetrics {
  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field()
  timeZone!: string;

  @Field(() => ID, { nullable: true })
  channelId!: string | null;

  @Field(() => BusinessHours, { nullable: true, description: 'Null: durations are wall-clock time' })
  businessHours!: BusinessHours | null;

  @Field(() => AgentMetricsOverall)
  overall!: AgentMetricsOverall;

  @Field(() => [AgentPerformance], { description: 'Members with episodes or messages in the range, most episodes first' })
  agents!: AgentPerformance[];
}
