import { OUTBOUND_LIMITS } from '../outbound-limits';

/**
 * Bounds of a flow definition and of a bot session. WhatsApp's own limits come from
 * OUTBOUND_LIMITS; the others are ours: generous for any real flow, small enough that hostile
 * input costs little to check and to run.
 */
export const FLOW_LIMITS = {
  nodes: 500,
  nodeId: 100,
  /** Another flow's id in a `jump`. */
  flowId: 200,
  text: OUTBOUND_LIMITS.textBody,
  buttonsText: OUTBOUND_LIMITS.buttonsBody,
  caption: OUTBOUND_LIMITS.mediaCaption,
  maxAttemptsMin: 1,
  maxAttemptsMax: 10,
  defaultMaxAttempts: 3,
  sessionTtlMinutesMin: 1,
  /** 30 days. */
  sessionTtlMinutesMax: 43_200,
  defaultSessionTtlMinutes: 1440,
  keywords: 50,
  keyword: 100,
  variableName: 64,
  /** A saved string is cut to this many characters, so no loop can grow a variable without bound. */
  variableValue: 4096,
  choiceOptions: 50,
  choiceOption: 100,
  pattern: 200,
  /** Longer answers are refused before a `regex` validator runs. */
  regexInput: 4096,
  branches: 50,
  groupItems: 50,
  /** Levels of `all`/`any` groups inside one `when`. */
  conditionDepth: 8,
  comparisonList: 100,
  comparisonText: 1024,
  templateParameter: 1024,
  templateParameters: 100,
  url: 2048,
  headers: 20,
  headerName: 100,
  headerValue: 1024,
  /** Levels of arrays and objects in an HTTP body, and values in all. */
  bodyDepth: 10,
  bodyValues: 1000,
  timeoutMsMin: 100,
  timeoutMsMax: 30_000,
  defaultTimeoutMs: 10_000,
  /** Top-level fields of an HTTP response body saved as `<saveAs>.<field>`. */
  responseFields: 50,
  /** Node ids kept in a bot session's path (the most recent). */
  path: 200,
  /** Nodes entered per start/advance/resume call before the loop guard hands off. */
  defaultMaxSteps: 50,
  /** Problems listed by validateFlow; more are counted in one last problem. */
  reportedProblems: 200,
} as const;
