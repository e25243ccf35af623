/**
 * The flow definition format of DESIGN.md section 11: the JSON that createFlow and
 * updateFlowDraft take and exportFlow returns. A public contract: frontends and imports rely on
 * it, so fields are only ever added, never renamed. `validateFlow` turns unknown JSON into this type.
 */

/** What a flow variable holds: answers, `set` values and HTTP results are scalars. */
export type FlowValue = string | number | boolean | null;

export const NODE_TYPES = ['message', 'question', 'condition', 'set', 'jump', 'template', 'http', 'handoff', 'end'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface FlowButton {
  id: string;
  /** Up to 20 characters; a customer may also type it (case-insensitive) instead of tapping. */
  title: string;
  next: string;
}

export interface FlowListRow {
  id: string;
  title: string;
  description?: string;
  next: string;
}

export interface FlowListSection {
  /** Required when the list has more than one section. */
  title?: string;
  rows: FlowListRow[];
}

export interface FlowList {
  /** The label of the button that opens the list. */
  button: string;
  sections: FlowListSection[];
}

export const FLOW_MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const;
export type FlowMediaKind = (typeof FLOW_MEDIA_KINDS)[number];

export interface FlowMedia {
  kind: FlowMediaKind;
  /** Exactly one of `link` (https) and `id` (an uploaded media id). */
  link?: string;
  id?: string;
  /** Interpolated; image, video and document only. */
  caption?: string;
}

/**
 * Sends `text` (interpolated) and at most one of `buttons`, `list` and `media`. With buttons or a
 * list it waits for a choice; otherwise it continues to `next` at once. With media, `text` is
 * optional and, when given, is sent as its own message before the media.
 */
export interface MessageNode {
  id: string;
  type: 'message';
  text?: string;
  buttons?: FlowButton[];
  list?: FlowList;
  media?: FlowMedia;
  next?: string;
  /** Sent instead of `text` when an answer is not one of the options; default: `text` again. */
  retryText?: string;
  /** The invalid answer that goes to `onInvalid` instead of another retry. Default 3. */
  maxAttempts?: number;
  /** Where the maxAttempts-th invalid answer goes; without it the conversation is handed off. */
  onInvalid?: string;
}

export const VALIDATOR_KINDS = ['text', 'email', 'phone', 'number', 'choice', 'regex'] as const;
export type ValidatorKind = (typeof VALIDATOR_KINDS)[number];

export interface AnswerValidator {
  kind: ValidatorKind;
  /** `choice` only: the accepted answers (case-insensitive); the option as written is saved. */
  options?: string[];
  /** `regex` only: searched in the trimmed answer, so anchor it with ^ and $ to match all of it. */
  pattern?: string;
  /** `number`: bounds of the value; `text`: bounds of the length. Inclusive. */
  min?: number;
  max?: number;
}

export interface QuestionNode {
  id: string;
  type: 'question';
  text: string;
  /** Default `{ kind: 'text' }`: any answer that is not blank. */
  validate?: AnswerValidator;
  /** The variable that receives the normalised answer. */
  saveAs?: string;
  retryText?: string;
  maxAttempts?: number;
  next: string;
  onInvalid?: string;
}

export const COMPARISON_OPS = ['==', '!=', '>', '<', '>=', '<=', 'in', 'not_in', 'contains'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export type ComparisonValue = string | number | boolean | null | (string | number | boolean)[];

export interface Comparison {
  var: string;
  op: ComparisonOp;
  /** A list for `in` and `not_in`. Never interpolated. */
  value: ComparisonValue;
}

export type Condition = Comparison | { all: Condition[] } | { any: Condition[] };

export interface ConditionBranch {
  when: Condition;
  next: string;
}

export interface ConditionNode {
  id: string;
  type: 'condition';
  /** Tried in order; the first whose `when` holds is followed. */
  branches: ConditionBranch[];
  else: string;
}

export interface SetNode {
  id: string;
  type: 'set';
  var: string;
  /** A string is interpolated; a number, boolean or null is saved as is. */
  value: FlowValue;
  next: string;
}

/** Exactly one of `to` (a node of this flow) and `flow` (another flow's id: its published version starts). */
export interface JumpNode {
  id: string;
  type: 'jump';
  to?: string;
  flow?: string;
}

export interface TemplateNode {
  id: string;
  type: 'template';
  /** The approved template's name. */
  template: string;
  language: string;
  /** The send parameters (`header`, `body`, `buttons` of template-rules.ts); strings are interpolated. */
  parameters?: Record<string, unknown>;
  next: string;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The engine only describes the request; a worker performs it and reports back (resumeAfterHttp). */
export interface HttpNode {
  id: string;
  type: 'http';
  /** Default GET. */
  method?: HttpMethod;
  /** Interpolated, each value URL-encoded; placeholders only after the host. */
  url: string;
  /** Values interpolated. */
  headers?: Record<string, string>;
  /** Any JSON; its strings are interpolated. */
  body?: unknown;
  saveAs?: string;
  /** Default 10,000. */
  timeoutMs?: number;
  next: string;
  /** Where a failed request goes; without it the conversation is handed off. */
  onError?: string;
}

export interface HandoffNode {
  id: string;
  type: 'handoff';
  text?: string;
}

export interface EndNode {
  id: string;
  type: 'end';
  text?: string;
}

export type FlowNode =
  | MessageNode
  | QuestionNode
  | ConditionNode
  | SetNode
  | JumpNode
  | TemplateNode
  | HttpNode
  | HandoffNode
  | EndNode;

export interface FlowTriggers {
  /** Whole-message matches, case-insensitive, that start the flow when no bot session is active. */
  keywords: string[];
}

export interface FlowDefinition {
  start: string;
  nodes: FlowNode[];
  /** Default 1440 (a day). */
  sessionTtlMinutes?: number;
  triggers?: FlowTriggers;
}

/** A published (or draft) version of a flow, as the engine runs it. */
export interface FlowVersionRef {
  id: string;
  version: number;
  definition: FlowDefinition;
}
