import { ActivityAnalyticsResolver } from './activity-analytics.resolver';
import { AgentAnalyticsResolver } from './agent-analytics.resolver';
import { AnalyticsAdminResolver } from './analytics-admin.resolver';
import { DeliveryAnalyticsResolver } from './delivery-analytics.resolver';
import { FlowAnalyticsResolver } from './flow-analytics.resolver';
import { TranscriptResolver } from './transcript.resolver';

export const analyticsResolvers = [
  FlowAnalyticsResolver,
  ActivityAnalyticsResolver,
  DeliveryAnalyticsResolver,
  AgentAnalyticsResolver,
  TranscriptResolver,
  AnalyticsAdminResolver,
] as const;
