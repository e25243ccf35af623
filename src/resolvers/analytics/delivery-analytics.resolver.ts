import { Resolver } from 'type-graphql';

// PLACEHOLDER: replaced by the slice's real resolver.
@Resolver()
export class DeliveryAnalyticsResolver {}
