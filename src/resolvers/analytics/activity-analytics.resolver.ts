import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../auth/context';
import { AnalyticsRangeInput } from '../../services/analytics/analytics-range';
import { dailyActivity } from '../../services/analytics/activity/daily-activity.service';
import { segmentContacts } from '../../services/analytics/activity/segment-contacts.service';
import { UserSegment } from '../../services/analytics/activity/segment-rule';
import { userSegments } from '../../services/analytics/activity/user-segments.service';
import { memberScope } from '../member-scope';
import { PageArgs } from '../types/page.args';
import {
  DailyActivity,
  SegmentContactConnection,
  UserSegments,
  UserSegmentThresholdsInput,
} from '../types/analytics/activity-analytics.types';

const SEGMENT_RULE =
  'Counted: contacts who sent at least one message in the range (on range.channelId, if given). In this order: DORMANT when ' +
  'their last message in the range is older than thresholds.dormantAfterDays days before the range end (or before now, if ' +
  'sooner); POWER with at least thresholds.powerMinMessages messages in the range; ACTIVE with at least ' +
  'thresholds.activeMinMessages; CASUAL otherwise.';

@Resolver()
export class ActivityAnalyticsResolver {
  @Authorized()
  @Query(() => DailyActivity, {
    description:
      'Per local day of range.timeZone (every day of the range, zeros included): messages in and out, active, new and ' +
      'returning contacts, conversations opened and closed; totals; and messages per hour of the week.',
  })
  dailyActivity(@Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput, @Ctx() ctx: GraphQLContext) {
    return dailyActivity(memberScope(ctx), range);
  }

  @Authorized()
  @Query(() => UserSegments, { description: `Contacts per segment over the range. ${SEGMENT_RULE}` })
  userSegments(
    @Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput,
    @Arg('thresholds', () => UserSegmentThresholdsInput, { nullable: true }) thresholds: UserSegmentThresholdsInput | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return userSegments(memberScope(ctx), { range, thresholds });
  }

  @Authorized()
  @Query(() => SegmentContactConnection, {
    description: `The contacts of one segment, most recently active first, with their message counts. ${SEGMENT_RULE}`,
  })
  segmentContacts(
    @Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput,
    @Arg('segment', () => UserSegment) segment: UserSegment,
    @Arg('thresholds', () => UserSegmentThresholdsInput, { nullable: true }) thresholds: UserSegmentThresholdsInput | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return segmentContacts(memberScope(ctx), { range, thresholds, segment, first: page.first, after: page.after });
  }
}
