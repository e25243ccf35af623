import { checkAnswer } from './answer-validators';
import { newBotState, type BotState } from './bot-state';
import { evaluateCondition } from './conditions';
import { type FlowNode, type FlowVersionRef, type HttpNode, type MessageNode, type QuestionNode } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';
import { saveHttpResponse, httpRequest } from './http-request';
import { interpolate, interpolateDeep, lookupVariable } from './interpolation';
import { findOption, messageContents, messageOptions, textContent } from './message-content';
import { FlowRun, normalizeInput, type InboundInput, type NormalizedInput, type StepContext, type StepResult } from './flow-run';

export type { BotState } from './bot-state';
export type { EngineEvent, EngineOutput, HandoffReason, HttpRequestSpec, InboundInput, StepContext, StepResult } from './flow-run';

/**
 * The flow engine (DESIGN.md sections 5 and 11): pure and deterministic. Each call takes a flow
 * version, the bot state and one event (the start, a customer's message, an HTTP outcome), runs
 * until the flow must wait for the customer or a worker, and returns the new state, what to send
 * in order, and what happened. The input state is never changed; time comes from `ctx.now`.
 */

export type HttpOutcome = { ok: true; status: number; body: unknown } | { ok: false; error: string };

/** Starts a session at the flow's `start`. `input`, the message that started it, is `{{last_input}}`. */
export function startFlow(flow: FlowVersionRef, ctx: StepContext, input?: InboundInput): StepResult {
  const run = new FlowRun(flow, newBotState(flow.id, flow.version, ctx.now), ctx);
  if (input) run.setLastInput(normalizeInput(input));
  runFrom(run, flow.definition.start, null);
  return run.result();
}

/** Applies the customer's message to the node waiting for it, then runs on. */
export function advanceFlow(flow: FlowVersionRef, state: BotState, rawInput: InboundInput, ctx: StepContext): StepResult {
  if (state.status !== 'active') {
    return unchanged(state, [{ type: 'error', nodeId: state.currentNodeId, message: `the bot session is ${state.status}` }]);
  }
  const run = new FlowRun(flow, state, ctx);
  if (!sameSession(run, state)) return run.result();
  // Waiting for a worker's HTTP outcome, a message answers nothing: it only counts as activity.
  if (state.waitingFor === 'http') return run.result();
  const node = waitingNode(run, state);
  if (!node) return run.result();
  const input = normalizeInput(rawInput);
  run.setLastInput(input);
  if (node.type === 'message' && state.waitingFor === 'reply') {
    const option = findOption(messageOptions(node), input);
    if (option) runFrom(run, option.next, node.id);
    else invalidAnswer(run, node);
  } else if (node.type === 'question' && state.waitingFor === 'reply') {
    answerQuestion(run, node, input);
  } else {
    run.fail(node.id, `the session is not waiting for a reply at "${node.id}" (${node.type})`);
  }
  return run.result();
}

/** Applies a worker's outcome to the http node waiting for it. A stale or repeated outcome changes nothing. */
export function resumeAfterHttp(flow: FlowVersionRef, state: BotState, outcome: HttpOutcome, ctx: StepContext): StepResult {
  if (state.status !== 'active' || state.waitingFor !== 'http') return unchanged(state);
  const run = new FlowRun(flow, state, ctx);
  if (!sameSession(run, state)) return run.result();
  const node = waitingNode(run, state);
  if (!node) return run.result();
  if (node.type !== 'http') {
    run.fail(node.id, `the session is not waiting for an HTTP outcome at "${node.id}" (${node.type})`);
  } else if (outcome.ok && outcome.status >= 200 && outcome.status <= 299) {
    if (node.saveAs) saveHttpResponse(run, node.saveAs, outcome.body);
    runFrom(run, node.next, node.id);
  } else {
    const reason = outcome.ok ? `HTTP ${outcome.status}` : clipMessage(String(outcome.error));
    run.event({ type: 'error', nodeId: node.id, message: `http request failed: ${reason}` });
    if (node.onError) runFrom(run, node.onError, node.id);
    else run.handOff(node.id, 'error');
  }
  return run.result();
}

/** The answer to a call that does not apply to the session: nothing sent, nothing changed. */
function unchanged(state: BotState, events: StepResult['events'] = []): StepResult {
  return { state, outputs: [], events, handoff: false, ended: false };
}

const clipMessage = (message: string) => (message.length > 200 ? `${message.slice(0, 200)}…` : message);

/** False (and handed off) when the state belongs to another flow or version than the one given. */
function sameSession(run: FlowRun, state: BotState): boolean {
  if (state.flowId !== run.flow.id || state.flowVersion !== run.flow.version) {
    run.fail(state.currentNodeId, `the session runs flow ${state.flowId} v${state.flowVersion}, not ${run.flow.id} v${run.flow.version}`);
    return false;
  }
  return true;
}

function waitingNode(run: FlowRun, state: BotState): FlowNode | null {
  const node = state.currentNodeId === null ? undefined : run.nodes.get(state.currentNodeId);
  if (!node) {
    run.fail(state.currentNodeId, `the session waits at "${String(state.currentNodeId)}", which is not a node of this flow`);
    return null;
  }
  return node;
}

function answerQuestion(run: FlowRun, node: QuestionNode, input: NormalizedInput): void {
  // Media and other messages are never an answer, whatever their caption says.
  const answer = input.kind === 'text' ? input.text : input.kind === 'reply' ? input.title : null;
  const check = answer === null ? { ok: false as const } : checkAnswer(node.validate, answer);
  if (!check.ok) {
    invalidAnswer(run, node);
    return;
  }
  if (node.saveAs) run.setVariable(node.saveAs, check.value);
  runFrom(run, node.next, node.id);
}

/** Retries with `retryText`, until the maxAttempts-th invalid answer goes to `onInvalid` (or to an agent). */
function invalidAnswer(run: FlowRun, node: MessageNode | QuestionNode): void {
  const attempts = run.state.attempts + 1;
  run.state.attempts = attempts;
  run.event({ type: 'validation_failed', nodeId: node.id, attempts });
  if (attempts >= (node.maxAttempts ?? FLOW_LIMITS.defaultMaxAttempts)) {
    if (node.onInvalid) runFrom(run, node.onInvalid, node.id);
    else run.handOff(node.id, 'invalid');
    return;
  }
  const retryText = node.retryText ?? node.text;
  if (node.type === 'message') {
    for (const content of messageContents(node, run.scope, retryText)) run.send(node.id, content);
  } else {
    run.send(node.id, textContent(retryText, run.scope));
  }
  run.event({ type: 'retried', nodeId: node.id });
}

/** Enters `nodeId` and keeps going until a node waits or the session is over. `from` names the node the edge leaves. */
function runFrom(run: FlowRun, nodeId: string | undefined, from: string | null): void {
  let target: string | undefined = nodeId;
  let source = from;
  while (run.state.status === 'active') {
    const node = target === undefined ? undefined : run.nodes.get(target);
    if (!node) {
      run.fail(source, missingNodeMessage(source, target));
      return;
    }
    if (!run.enter(node)) return;
    const next = execute(run, node);
    if (next === null) return;
    target = next;
    source = node.id;
  }
}

function missingNodeMessage(source: string | null, target: string | undefined): string {
  if (source === null) return target === undefined ? 'the flow has no start' : `the start "${target}" is not a node of this flow`;
  return target === undefined ? `"${source}" has no next node` : `"${source}" leads to "${target}", which is not a node of this flow`;
}

/** Runs one node; returns the next node's id, null when the run stops here, undefined when a required next is missing. */
function execute(run: FlowRun, node: FlowNode): string | null | undefined {
  switch (node.type) {
    case 'message':
      for (const content of messageContents(node, run.scope)) run.send(node.id, content);
      if (messageOptions(node).length === 0) return node.next;
      run.wait('reply');
      return null;
    case 'question':
      run.send(node.id, textContent(node.text, run.scope));
      run.wait('reply');
      return null;
    case 'condition': {
      const lookup = (name: string) => lookupVariable(run.scope, name);
      const branch = (node.branches ?? []).find((candidate) => evaluateCondition(candidate.when, lookup));
      return branch ? branch.next : node.else;
    }
    case 'set': {
      const value = typeof node.value === 'string' ? interpolate(node.value, run.scope, { maxLength: 2 * FLOW_LIMITS.variableValue }) : node.value;
      run.setVariable(node.var, value === undefined ? null : value);
      return node.next;
    }
    case 'jump':
      if (node.flow !== undefined) {
        run.end(node.id, node.flow);
        return null;
      }
      return node.to;
    case 'template':
      run.output({
        kind: 'template',
        nodeId: node.id,
        name: node.template,
        language: node.language,
        parameters: interpolateDeep(node.parameters ?? {}, run.scope, FLOW_LIMITS.templateParameter) as Record<string, unknown>,
      });
      return node.next;
    case 'http':
      return startHttp(run, node);
    case 'handoff':
      run.send(node.id, textContent(node.text, run.scope));
      run.handOff(node.id, 'node');
      return null;
    case 'end':
      run.send(node.id, textContent(node.text, run.scope));
      run.end(node.id);
      return null;
    default:
      run.fail((node as { id: string }).id, `unknown node type "${String((node as { type: unknown }).type)}"`);
      return null;
  }
}

function startHttp(run: FlowRun, node: HttpNode): null {
  run.output({ kind: 'http', nodeId: node.id, request: httpRequest(node, run.scope) });
  run.wait('http');
  return null;
}
