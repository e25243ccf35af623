/** What the rows of a delivery funnel are. */
export enum DeliveryGrouping {
  TEMPLATE = 'TEMPLATE',
  FLOW_NODE = 'FLOW_NODE',
  CHANNEL = 'CHANNEL',
}
