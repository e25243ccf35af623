import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { Contact } from '../../../entities/contact.entity';
import { DEFAULT_THRESHOLDS, MAX_THRESHOLD_MESSAGES, UserSegment } from '../../../services/analytics/activity/segment-rule';
import { Connection } from '../connection.type';

registerEnumType(UserSegment, {
  name: 'UserSegment',
  description: 'Where a contact who wrote in the range stands; the rules apply in this order',
  valuesConfig: {
    DORMANT: { description: 'Last message in the range older than dormantAfterDays before the range end (or now, if sooner)' },
    POWER: { description: 'Not dormant, and at least powerMinMessages messages in the range' },
    ACTIVE: { description: 'Not dormant, and at least activeMinMessages (but fewer than powerMinMessages)' },
    CASUAL: { description: 'Not dormant, and fewer than activeMinMessages' },
  },
});

const COUNTED = 'Contacts are counted when they sent at least one message in the range (on range.channelId, if given)';

@ObjectType({ description: 'Activity over some period: messages, contacts and conversations' })
export class ActivityCounts {
  @Field(() => Int, { description: 'Messages from contacts' })
  inbound!: number;

  @Field(() => Int, { description: 'Messages to contacts (bot, agents, API), queued ones included' })
  outbound!: number;

  @Field(() => Int, { description: 'Distinct contacts who sent at least one message' })
  activeContacts!: number;

  @Field(() => Int, { description: 'Active contacts whose first message ever (on the channel, when filtered) was in this period' })
  newContacts!: number;

  @Field(() => Int, { description: 'Active contacts who had written before this period: activeContacts - newContacts' })
  returningContacts!: number;

  @Field(() => Int, { description: 'Conversations started, plus closed ones reopened' })
  conversationsOpened!: number;

  @Field(() => Int, { description: 'Conversations moved to CLOSED' })
  conversationsClosed!: number;
}

@ObjectType({ description: 'One local day; the first and last days count only what falls inside the range' })
export class ActivityDay extends ActivityCounts {
  @Field({ description: 'Local date, YYYY-MM-DD' })
  date!: string;

  @Field({ description: 'When the local day starts' })
  startsAt!: Date;
}

@ObjectType({ description: 'Messages in one local hour of the week, summed over the range' })
export class HourOfWeekActivity {
  @Field(() => Int, { description: 'ISO day of the week: 1 is Monday, 7 is Sunday' })
  dayOfWeek!: number;

  @Field(() => Int, { description: 'Local hour, 0 to 23' })
  hour!: number;

  @Field(() => Int)
  inbound!: number;

  @Field(() => Int)
  outbound!: number;

  @Field(() => Int, { description: 'inbound + outbound' })
  messages!: number;
}

@ObjectType({ description: 'dailyActivity: activity per local day, totals, and the hour-of-week matrix' })
export class DailyActivity {
  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field({ description: 'The time zone days and hours are cut in' })
  timeZone!: string;

  @Field(() => ID, { nullable: true })
  channelId!: string | null;

  @Field(() => [ActivityDay], { description: 'Every local day the range touches, in order, days without activity included' })
  days!: ActivityDay[];

  @Field(() => ActivityCounts, { description: 'The whole range; its contact counts are distinct over the range, not sums of days' })
  totals!: ActivityCounts;

  @Field(() => [HourOfWeekActivity], { description: 'All 168 cells, Monday 0:00 first' })
  hourOfWeek!: HourOfWeekActivity[];
}

@InputType({ description: `Segment thresholds (defaults: power ${DEFAULT_THRESHOLDS.powerMinMessages}, active ${DEFAULT_THRESHOLDS.activeMinMessages}, dormant after ${DEFAULT_THRESHOLDS.dormantAfterDays} days)` })
export class UserSegmentThresholdsInput {
  @Field(() => Int, { nullable: true, description: `POWER from this many messages in the range; greater than activeMinMessages, at most ${MAX_THRESHOLD_MESSAGES}` })
  @IsOptional()
  powerMinMessages?: number | null;

  @Field(() => Int, { nullable: true, description: 'ACTIVE from this many messages in the range (CASUAL below); at least 1' })
  @IsOptional()
  activeMinMessages?: number | null;

  @Field(() => Int, { nullable: true, description: 'DORMANT when the last message is older than this many days (1 to 400)' })
  @IsOptional()
  dormantAfterDays?: number | null;
}

@ObjectType({ description: 'The thresholds a segmentation used, defaults filled in' })
export class UserSegmentThresholds {
  @Field(() => Int)
  powerMinMessages!: number;

  @Field(() => Int)
  activeMinMessages!: number;

  @Field(() => Int)
  dormantAfterDays!: number;
}

@ObjectType()
export class UserSegmentCount {
  @Field(() => UserSegment)
  segment!: UserSegment;

  @Field(() => Int)
  contacts!: number;
}

@ObjectType({ description: `userSegments: contacts per segment. ${COUNTED}.` })
export class UserSegments {
  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field(() => ID, { nullable: true })
  channelId!: string | null;

  @Field({ description: 'Recency is measured from here: the range end, or now if sooner' })
  asOf!: Date;

  @Field({ description: 'Contacts whose last message in the range is before this instant are DORMANT' })
  dormantBefore!: Date;

  @Field(() => UserSegmentThresholds)
  thresholds!: UserSegmentThresholds;

  @Field(() => Int, { description: 'Contacts counted, over all segments' })
  totalContacts!: number;

  @Field(() => [UserSegmentCount], { description: 'POWER, ACTIVE, CASUAL and DORMANT, in this order, zeros included' })
  segments!: UserSegmentCount[];
}

@ObjectType({ description: 'A contact in a segment, with what put it there' })
export class SegmentContact {
  @Field(() => Contact)
  contact!: Contact;

  @Field(() => UserSegment)
  segment!: UserSegment;

  @Field(() => Int, { description: 'Messages the contact sent in the range' })
  messages!: number;

  @Field({ description: 'Its last message in the range' })
  lastMessageAt!: Date;
}

@ObjectType({ description: 'Contacts of one segment, most recently active first' })
export class SegmentContactConnection extends Connection(SegmentContact) {}
