export { FakeGraphApi, type FakeGraphOptions, type RecordedRequest, type FakeTemplate, type TemplateSeed, type EmittedWebhook } from './fake-graph-server';
export { graphError, httpStatusForCode, type GraphErrorBody } from './graph-error';
