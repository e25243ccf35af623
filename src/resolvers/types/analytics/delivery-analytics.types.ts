import { Field, Float, ID, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { DeliveryGrouping } from '../../../services/analytics/delivery/delivery-grouping';

export { DeliveryGrouping };

registerEnumType(DeliveryGrouping, {
  name: 'DeliveryGrouping',
  description: 'What the rows of a delivery funnel are',
  valuesConfig: {
    TEMPLATE: { description: 'One row per template (messages sent from a template only)' },
    FLOW_NODE: { description: 'One row per flow, version and node (messages a flow sent only)' },
    CHANNEL: { description: 'One row per channel (every outbound message)' },
  },
});

@ObjectType({ description: 'Failed messages with one Meta error code' })
export class DeliveryFailureCount {
  @Field(() => String, { nullable: true, description: "Meta's error code (e.g. 131026); null for failures of ours without one" })
  code!: string | null;

  @Field(() => String, { nullable: true, description: "Meta's title for the code, as most of these failures carried it" })
  title!: string | null;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'Outbound messages Meta priced in one category' })
export class DeliveryPricingCount {
  @Field({ description: "Meta's pricing category as reported on the status webhooks: service, utility, marketing, authentication, ..." })
  category!: string;

  @Field(() => Int, { description: 'Messages with this category (messages Meta reported no pricing for are in none)' })
  count!: number;
}

@InterfaceType({
  description:
    'Outbound messages created in the range and the stages they reached. A message counts in every stage it reached ' +
    '(read implies delivered and sent, whatever webhooks Meta skipped).',
})
export abstract class DeliveryFunnelFigures {
  @Field(() => Int, { description: 'Outbound messages created (queued for sending) in the range' })
  queued!: number;

  @Field(() => Int, { description: 'Accepted by Meta (including messages that failed afterwards)' })
  sent!: number;

  @Field(() => Int, { description: 'Delivered to the phone (or read); never a FAILED message' })
  delivered!: number;

  @Field(() => Int, { description: 'Read (or played) by the customer; never a FAILED message' })
  read!: number;

  @Field(() => Int, {
    description:
      'Delivered, and the next message of the conversation (by creation time, then arrival) is the ' +
      "customer's and came within 24 hours. So a reply is credited to the last message we sent before it; " +
      'reactions are not replies.',
  })
  replied!: number;

  @Field(() => Int, { description: 'Ended FAILED (refused by Meta, or a failed status before delivery)' })
  failed!: number;

  @Field(() => Float, { nullable: true, description: 'sent / queued; null when nothing was queued' })
  sentRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'delivered / sent (over the previous stage); null when nothing was sent' })
  deliveredRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'read / delivered (over the previous stage); null when nothing was delivered' })
  readRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'replied / delivered; null when nothing was delivered' })
  replyRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'failed / queued; null when nothing was queued' })
  failureRate!: number | null;

  @Field(() => [DeliveryFailureCount], { description: 'The 10 most frequent error codes, most frequent first' })
  topFailures!: DeliveryFailureCount[];

  @Field(() => [DeliveryPricingCount], { description: 'Messages per pricing category Meta reported, largest first' })
  pricingCategories!: DeliveryPricingCount[];
}

@ObjectType({ description: 'The template of a delivery funnel row' })
export class DeliveryTemplate {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  language!: string;

  @Field(() => String, { nullable: true, description: 'MARKETING, UTILITY or AUTHENTICATION' })
  category!: string | null;
}

@ObjectType({ description: 'The flow node of a delivery funnel row' })
export class DeliveryFlowNode {
  @Field(() => ID)
  flowId!: string;

  @Field()
  flowName!: string;

  @Field(() => Int, { nullable: true, description: 'The published version the messages were sent from' })
  flowVersion!: number | null;

  @Field({ description: 'The node id in that version' })
  nodeId!: string;
}

@ObjectType({ description: 'The channel of a delivery funnel row' })
export class DeliveryChannel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field()
  displayPhoneNumber!: string;
}

@ObjectType({ description: 'All rows of a delivery funnel together', implements: DeliveryFunnelFigures })
export class DeliveryFunnelTotals extends DeliveryFunnelFigures {}

@ObjectType({ description: 'One group of a delivery funnel: exactly one of template, flowNode and channel is set, as `by` asked', implements: DeliveryFunnelFigures })
export class DeliveryFunnelRow extends DeliveryFunnelFigures {
  @Field(() => DeliveryTemplate, { nullable: true })
  template!: DeliveryTemplate | null;

  @Field(() => DeliveryFlowNode, { nullable: true })
  flowNode!: DeliveryFlowNode | null;

  @Field(() => DeliveryChannel, { nullable: true })
  channel!: DeliveryChannel | null;
}

@ObjectType({ description: 'Delivery funnel of outbound messages created in [from, to)' })
export class DeliveryFunnel {
  @Field(() => DeliveryGrouping)
  by!: DeliveryGrouping;

  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field({ description: 'The time zone the range was read in (this report has no per-day figures)' })
  timeZone!: string;

  @Field(() => [DeliveryFunnelRow], { description: 'Groups with at least one message, most messages first' })
  rows!: DeliveryFunnelRow[];

  @Field(() => DeliveryFunnelTotals, { description: 'All rows together (for TEMPLATE and FLOW_NODE: only messages that have a template or flow node)' })
  totals!: DeliveryFunnelTotals;
}
