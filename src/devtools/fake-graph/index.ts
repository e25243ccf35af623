export { FakeGraphApi, type FakeGraphOptions, type RecordedRequest, type FakeTemplate, type TemplateSeed, type EmittedWebhook } from './fake-graph-server';
export { graphError, httpStatusForCode, type GraphErrorBody } from './graph-error';
export { CONTROL_PREFIX, type SentFeed, type SentView } from './fake-graph-control';
