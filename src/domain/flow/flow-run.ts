import { type OutboundContent } from '../outbound-limits';
import { LAST_INPUT, type BotState } from './bot-state';
import { type FlowDefinition, type FlowNode, type FlowValue, type FlowVersionRef } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';
import { clip, type InterpolationScope } from './interpolation';

export type InboundInput =
  | { kind: 'text'; text: string }
  /** An interactive button_reply or list_reply. */
  | { kind: 'reply'; id: string; title: string }
  /** Media, location...: an invalid answer wherever one is expected. */
  | { kind: 'other'; text?: string | null };

const asText = (value: unknown): string => (typeof value === 'string' ? value : '');

/** An input whose texts are all strings. */
export type NormalizedInput = { kind: 'text'; text: string } | { kind: 'reply'; id: string; title: string } | { kind: 'other'; text: string };

/** The input with every text a string, so that a caller's missing body can never make the engine throw. */
export function normalizeInput(input: InboundInput): NormalizedInput {
  if (input.kind === 'text') return { kind: 'text', text: asText(input.text) };
  if (input.kind === 'reply') return { kind: 'reply', id: asText(input.id), title: asText(input.title) };
  return { kind: 'other', text: asText(input.text) };
}

export interface StepContext {
  now: Date;
  contact: { name: string | null; phone: string };
  /** Loop guard: nodes entered per call. Default 50. */
  maxSteps?: number;
}

export type HttpRequestSpec = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
};

export type EngineOutput =
  | { kind: 'content'; nodeId: string; content: OutboundContent }
  | { kind: 'template'; nodeId: string; name: string; language: string; parameters: Record<string, unknown> }
  | { kind: 'http'; nodeId: string; request: HttpRequestSpec };

export type HandoffReason = 'node' | 'invalid' | 'loop_guard' | 'error';

export type EngineEvent =
  | { type: 'node_entered'; nodeId: string }
  | { type: 'variable_set'; name: string; value: unknown }
  | { type: 'validation_failed'; nodeId: string; attempts: number }
  | { type: 'retried'; nodeId: string }
  | { type: 'handoff'; nodeId: string; reason: HandoffReason }
  | { type: 'ended'; nodeId: string }
  | { type: 'error'; nodeId: string | null; message: string };

export interface StepResult {
  state: BotState;
  /** To send in this order. */
  outputs: EngineOutput[];
  events: EngineEvent[];
  /** This call handed the conversation to an agent (a handoff node, invalid answers, the loop guard or an error). */
  handoff: boolean;
  /** This call ended the session (an end node or a jump to another flow). */
  ended: boolean;
  /** Another flow's id: the caller starts that flow's published version (the session has ended). */
  jumpToFlow?: string;
}

const nodeIndexes = new WeakMap<FlowDefinition, Map<string, FlowNode>>();

/** Nodes by id, built once per definition object; the first of duplicate ids wins, as in validation. */
function nodesById(definition: FlowDefinition): Map<string, FlowNode> {
  let index = nodeIndexes.get(definition);
  if (!index) {
    index = new Map();
    for (const node of Array.isArray(definition.nodes) ? definition.nodes : []) {
      if (!index.has(node.id)) index.set(node.id, node);
    }
    nodeIndexes.set(definition, index);
  }
  return index;
}

/**
 * One start/advance/resume call in progress: a private copy of the state, the outputs and events
 * so far, and the loop guard's count. The engine reads and changes the session only through it.
 */
export class FlowRun {
  readonly state: BotState;
  readonly nodes: Map<string, FlowNode>;
  private readonly outputs: EngineOutput[] = [];
  private readonly events: EngineEvent[] = [];
  private readonly maxSteps: number;
  private steps = 0;
  private handedOff = false;
  private endedHere = false;
  private jumpTo: string | undefined;

  constructor(
    readonly flow: FlowVersionRef,
    state: BotState,
    readonly ctx: StepContext,
  ) {
    this.state = { ...state, variables: { ...state.variables }, path: [...state.path], lastActivityAt: ctx.now.toISOString() };
    this.nodes = nodesById(flow.definition);
    const max = ctx.maxSteps;
    this.maxSteps = max !== undefined && Number.isFinite(max) && max >= 1 ? Math.floor(max) : FLOW_LIMITS.defaultMaxSteps;
  }

  get scope(): InterpolationScope {
    return { variables: this.state.variables, contact: this.ctx.contact };
  }

  /** False when the loop guard stops the run instead. */
  enter(node: FlowNode): boolean {
    if (this.steps >= this.maxSteps) {
      this.fail(node.id, `loop guard: more than ${this.maxSteps} nodes in one step`, 'loop_guard');
      return false;
    }
    this.steps += 1;
    this.state.currentNodeId = node.id;
    this.state.waitingFor = null;
    this.state.attempts = 0;
    this.state.path.push(node.id);
    if (this.state.path.length > FLOW_LIMITS.path) this.state.path.splice(0, this.state.path.length - FLOW_LIMITS.path);
    this.events.push({ type: 'node_entered', nodeId: node.id });
    return true;
  }

  send(nodeId: string, content: OutboundContent | null): void {
    if (content) this.outputs.push({ kind: 'content', nodeId, content });
  }

  output(output: EngineOutput): void {
    this.outputs.push(output);
  }

  event(event: EngineEvent): void {
    this.events.push(event);
  }

  setVariable(name: string, value: FlowValue): void {
    const saved = typeof value === 'string' ? clip(value, FLOW_LIMITS.variableValue) : value;
    // defineProperty, so that even a variable named __proto__ is a plain own property.
    Object.defineProperty(this.state.variables, name, { value: saved, enumerable: true, writable: true, configurable: true });
    this.events.push({ type: 'variable_set', name, value: saved });
  }

  /** Records the customer's (normalised) message as `last_input`; no event, as it changes with every message. */
  setLastInput(input: NormalizedInput): void {
    const text = input.kind === 'reply' ? input.title : input.text;
    this.state.variables[LAST_INPUT] = clip(text, FLOW_LIMITS.variableValue);
  }

  wait(kind: 'reply' | 'http'): void {
    this.state.waitingFor = kind;
  }

  handOff(nodeId: string, reason: HandoffReason): void {
    this.events.push({ type: 'handoff', nodeId, reason });
    this.finish('handed_off');
    this.handedOff = true;
  }

  end(nodeId: string, jumpToFlow?: string): void {
    this.events.push({ type: 'ended', nodeId });
    this.finish('ended');
    this.endedHere = true;
    this.jumpTo = jumpToFlow;
  }

  /** Something the definition or the state should have prevented: record it and let a person take over. */
  fail(nodeId: string | null, message: string, reason: HandoffReason = 'error'): void {
    this.events.push({ type: 'error', nodeId, message });
    this.handOff(nodeId ?? this.state.currentNodeId ?? '', reason);
  }

  private finish(status: BotState['status']): void {
    this.state.status = status;
    this.state.currentNodeId = null;
    this.state.waitingFor = null;
    this.state.attempts = 0;
  }

  result(): StepResult {
    return {
      state: this.state,
      outputs: this.outputs,
      events: this.events,
      handoff: this.handedOff,
      ended: this.endedHere,
      ...(this.jumpTo === undefined ? {} : { jumpToFlow: this.jumpTo }),
    };
  }
}
