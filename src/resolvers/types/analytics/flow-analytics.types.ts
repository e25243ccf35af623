import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Bot sessions of a flow started in one period. Rates are shares (0..1) of the sessions started, null when none started.' })
export class FlowPeriodFigures {
  @Field({ description: 'Start of the period, inclusive' })
  from!: Date;

  @Field({ description: 'End of the period, exclusive' })
  to!: Date;

  @Field(() => Int, { description: 'Sessions that started in the period' })
  sessionsStarted!: number;

  @Field(() => Int, { description: 'Of those, sessions that reached an end node (or jumped on to another flow)' })
  completed!: number;

  @Field(() => Int, { description: 'Of those, sessions handed to a person: a handoff node, too many invalid answers, an error, or an agent taking over' })
  handedOff!: number;

  @Field(() => Int, { description: 'Of those, sessions the customer left: expired, or idle past the session TTL of the flow' })
  abandoned!: number;

  @Field(() => Int, { description: 'Of those, sessions still waiting for the customer within their TTL' })
  active!: number;

  @Field(() => Float, { nullable: true })
  completionRate!: number | null;

  @Field(() => Float, { nullable: true })
  handoffRate!: number | null;

  @Field(() => Float, { nullable: true })
  abandonmentRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Median seconds from the start to the last activity, over the sessions that are over' })
  medianDurationSeconds!: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile of the same durations' })
  p90DurationSeconds!: number | null;

  @Field(() => Float, { nullable: true, description: "Messages exchanged during a session (the bot's and the customer's replies; the message that started it excluded), on average" })
  messagesPerSession!: number | null;
}

@ObjectType({ description: 'Current figures minus those of the previous period; null where either is null' })
export class FlowReportChange {
  @Field(() => Int)
  sessionsStarted!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => Int)
  handedOff!: number;

  @Field(() => Int)
  abandoned!: number;

  @Field(() => Float, { nullable: true })
  completionRate!: number | null;

  @Field(() => Float, { nullable: true })
  handoffRate!: number | null;

  @Field(() => Float, { nullable: true })
  abandonmentRate!: number | null;

  @Field(() => Float, { nullable: true })
  medianDurationSeconds!: number | null;

  @Field(() => Float, { nullable: true })
  p90DurationSeconds!: number | null;

  @Field(() => Float, { nullable: true })
  messagesPerSession!: number | null;
}

@ObjectType({ description: 'Sessions started on one local day, in the time zone of the report' })
export class FlowReportDay {
  @Field({ description: 'The local date, YYYY-MM-DD' })
  date!: string;

  @Field(() => Int)
  sessionsStarted!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => Int)
  handedOff!: number;

  @Field(() => Int)
  abandoned!: number;
}

@ObjectType({ description: 'How a flow performs: its sessions started in the range, compared with the period of equal length before' })
export class FlowReport extends FlowPeriodFigures {
  @Field(() => ID)
  flowId!: string;

  @Field(() => Int, { nullable: true, description: 'The version reported on; null for all versions' })
  version!: number | null;

  @Field({ description: 'The time zone of `days`' })
  timeZone!: string;

  @Field(() => ID, { nullable: true, description: 'The channel filter, if any' })
  channelId!: string | null;

  @Field(() => FlowPeriodFigures, { description: 'The same figures for the period of equal length just before the range' })
  previous!: FlowPeriodFigures;

  @Field(() => FlowReportChange, { description: 'This period minus the previous one' })
  change!: FlowReportChange;

  @Field(() => [FlowReportDay], { description: 'Every local day the range touches, oldest first, with zeros where nothing started' })
  days!: FlowReportDay[];
}

@ObjectType({ description: 'How visits of a node ended. Each visit ends one way: the fields add up to `visits`.' })
export class FlowFunnelExits {
  @Field(() => Int, { description: 'Moved on: a valid answer at the first try, or a node that does not wait' })
  continued!: number;

  @Field(() => Int, { description: 'Moved on with a valid answer after at least one retry' })
  retried!: number;

  @Field(() => Int, { description: 'The last allowed invalid answer: on to onInvalid, or to a person' })
  validationFailed!: number;

  @Field(() => Int, { description: 'The session expired (or went idle past its TTL) waiting here' })
  abandoned!: number;

  @Field(() => Int, { description: 'A person took over here: a handoff node, an error, or an agent taking the conversation' })
  handedOff!: number;

  @Field(() => Int, { description: 'The session ended here: an end node, or a jump to another flow' })
  ended!: number;

  @Field(() => Int, { description: 'Still waiting here, within the session TTL' })
  waiting!: number;
}

@ObjectType({ description: 'One node of the flow version (the heatmap cell): how sessions passed through it' })
export class FlowFunnelNode {
  @Field()
  nodeId!: string;

  @Field({ description: 'The node type: message, question, condition, set, jump, template, http, handoff or end' })
  type!: string;

  @Field({ description: 'A question, or a message with buttons or a list: it waits for the customer' })
  waitsForReply!: boolean;

  @Field(() => Int, { description: 'Times the node was entered (a loop counts each time)' })
  visits!: number;

  @Field(() => Int, { description: 'Sessions that entered it' })
  sessions!: number;

  @Field(() => Int, { description: 'Distinct conversations that entered it' })
  conversations!: number;

  @Field(() => FlowFunnelExits)
  exits!: FlowFunnelExits;

  @Field(() => Int, { description: 'Invalid answers given here' })
  invalidAnswers!: number;

  @Field(() => Int, { description: 'Retry prompts sent after an invalid answer' })
  retries!: number;

  @Field(() => Int, { description: 'Sessions abandoned here (equals exits.abandoned): deliveryFailed + wentSilent' })
  dropOffs!: number;

  @Field(() => Float, { nullable: true, description: 'dropOffs / sessions; null when no session reached the node' })
  dropOffRate!: number | null;

  @Field(() => Int, { description: 'Drop-offs where a message this node sent in that session failed to reach the customer' })
  deliveryFailed!: number;

  @Field(() => Int, { description: 'Drop-offs where our messages went out and the customer did not answer' })
  wentSilent!: number;

  @Field(() => Float, { nullable: true, description: "Median seconds from the node's first entry to the customer's next message (nodes that wait for a reply)" })
  medianSecondsToAnswer!: number | null;
}

@ObjectType({ description: 'The node heatmap of one flow version, for its sessions started in the range' })
export class FlowFunnel {
  @Field(() => ID)
  flowId!: string;

  @Field(() => Int)
  version!: number;

  @Field({ description: 'The start node id' })
  start!: string;

  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field()
  timeZone!: string;

  @Field(() => ID, { nullable: true, description: 'The channel filter, if any' })
  channelId!: string | null;

  @Field(() => Int, { description: 'Sessions of this version started in the range' })
  sessionsStarted!: number;

  @Field(() => [FlowFunnelNode], { description: "Every node of the version's definition, in its order; nodes never visited have zeros" })
  nodes!: FlowFunnelNode[];
}
