import { advanceFlow, startFlow, type BotState, type EngineOutput, type InboundInput, type StepResult } from '../../src/domain/flow/flow-engine';
import type { FlowNode, FlowVersionRef } from '../../src/domain/flow/flow-definition';
import { messageOptions } from '../../src/domain/flow/message-content';
import { buildContentRequest } from '../../src/meta/send-request.builder';
import type { ConversationRows, Emission, Sent } from './conversation-rows';
import { invalidAnswer, validAnswer, type CustomerMessage } from './customer-answers';
import type { FlowModel } from './history-model';
import type { Delivery, OutboundMessage } from './history-sink';
import type { Random } from './random';
import { HOUR, MINUTE, SECOND, type ConversationStatusName, type SimConversation } from './sim-conversation';

export interface SessionEnd {
  /** open: still running at `now`. */
  outcome: 'ended' | 'handoff' | 'expired' | 'open';
  at: number;
}

/** How often customers answer a question wrongly, by validator. */
const INVALID_RATE: Record<string, number> = { email: 0.12, number: 0.1, regex: 0.16, phone: 0.1, choice: 0.12, text: 0.03 };

/** The published version a session starting at `at` runs. */
export function versionAt(flow: FlowModel, at: number): FlowVersionRef {
  let chosen = flow.versions[0]!;
  for (const version of flow.versions) if (version.from <= at) chosen = version;
  return { id: flow.id, version: chosen.version, definition: chosen.definition };
}

/**
 * Bot sessions driven by the real flow engine (startFlow/advanceFlow), so sessions walk real paths
 * of the published definitions and BOT events have the engine's shapes and order. Each turn is
 * written in the runtime's order, all at the turn's time: the MESSAGE_SENT of each output, the
 * engine's events (a jump to another flow continues in the same turn), then STATUS_CHANGED.
 */
export class BotSessions {
  constructor(
    private readonly rows: ConversationRows,
    private readonly rng: Random,
    private readonly now: number,
  ) {}

  private context(conversation: SimConversation, at: number) {
    return { now: new Date(at), contact: { name: conversation.name, phone: conversation.waId } };
  }

  /**
   * One session from its start to its end (end node, handoff, expiry) or to `now`. The customer
   * answers each waiting node after reading it, answers wrongly, or goes silent; a prompt that
   * never arrived is never answered. `reluctant`: a "thanks!" restarted it; it is mostly ignored.
   */
  run(conversation: SimConversation, startFlowModel: FlowModel, input: InboundInput, startAt: number, options: { fromAd: boolean; reluctant: boolean }): SessionEnd {
    const rows = this.rows;
    let flow = versionAt(startFlowModel, startAt);
    let result: StepResult = startFlow(flow, this.context(conversation, startAt), input);
    let at = startAt;
    for (let turn = 0; ; turn++) {
      const step = this.applyStep(conversation, flow, result, at, options.fromAd);
      flow = step.flow;
      const state = step.result.state;
      const status: ConversationStatusName = state.status === 'active' ? 'BOT' : step.handoff ? 'WAITING_AGENT' : 'CLOSED';
      if (status !== conversation.status) step.emissions.push({ event: { type: 'STATUS_CHANGED', data: { status, previous: conversation.status, by: 'bot' } } });
      if (state.status !== 'active') {
        rows.readTurnLater(conversation, step.emissions, 0.8);
        rows.commit(conversation, step.emissions, at);
        rows.setStatus(conversation, status, at);
        conversation.busyUntil = Math.max(conversation.busyUntil, at);
        return { outcome: step.handoff ? 'handoff' : 'ended', at };
      }
      rows.setStatus(conversation, 'BOT', at);
      const node = flow.definition.nodes.find((candidate) => candidate.id === state.currentNodeId);
      const prompt = [...step.emissions].reverse().find((emission) => emission.out && emission.out.nodeId === state.currentNodeId)?.out;
      const ttl = (flow.definition.sessionTtlMinutes ?? 1440) * MINUTE;
      const reply = node && prompt ? this.customerReply(conversation, node, state, prompt.delivery, turn, options.reluctant && turn === 0) : null;
      if (!reply || reply.metaAt - at > ttl) {
        // Silence (or a prompt that never arrived): the sweeper expires the session after its TTL.
        rows.readTurnLater(conversation, step.emissions, 0.5);
        rows.commit(conversation, step.emissions, at);
        const expiredAt = at + ttl + this.rng.int(1, 60) * SECOND;
        rows.event(conversation, 'BOT', { type: 'expired', flowId: state.flowId, flowVersion: state.flowVersion, nodeId: state.currentNodeId }, expiredAt);
        rows.event(conversation, 'STATUS_CHANGED', { status: 'CLOSED', previous: 'BOT', by: 'bot' }, expiredAt);
        rows.setStatus(conversation, 'CLOSED', expiredAt);
        conversation.busyUntil = Math.max(conversation.busyUntil, expiredAt);
        return { outcome: expiredAt > this.now ? 'open' : 'expired', at: expiredAt };
      }
      rows.readTurnBefore(conversation, step.emissions, reply.metaAt);
      rows.commit(conversation, step.emissions, at);
      const next = reply.metaAt + this.rng.int(300, 1500);
      rows.inbound(conversation, reply.metaAt, next, reply.input, reply.type);
      result = advanceFlow(flow, state, reply.input, this.context(conversation, next));
      at = next;
      if (at > this.now) return { outcome: 'open', at };
    }
  }

  /** The runtime's applyStep: outputs (MESSAGE_SENT each), the engine's events, then a jump to another flow. */
  private applyStep(
    conversation: SimConversation,
    flow: FlowVersionRef,
    result: StepResult,
    at: number,
    fromAd: boolean,
    jumps = 0,
    emissions: Emission[] = [],
  ): { flow: FlowVersionRef; result: StepResult; emissions: Emission[]; handoff: boolean } {
    let index = emissions.filter((emission) => emission.out).length;
    for (const output of result.outputs) {
      const out = this.botOutput(conversation, flow, output, at, index++, fromAd);
      if (out) emissions.push({ out });
    }
    for (const event of result.events) emissions.push({ event: { type: 'BOT', data: { ...event, flowId: flow.id, flowVersion: flow.version } } });
    if (result.jumpToFlow && jumps < 5) {
      const target = conversation.org.flows.find((candidate) => candidate.id === result.jumpToFlow);
      if (target) {
        const version = versionAt(target, at);
        return this.applyStep(conversation, version, startFlow(version, this.context(conversation, at)), at, fromAd, jumps + 1, emissions);
      }
    }
    return { flow, result, emissions, handoff: result.handoff || result.state.status === 'handed_off' };
  }

  private botOutput(conversation: SimConversation, flow: FlowVersionRef, output: EngineOutput, at: number, index: number, fromAd: boolean): (Sent & { nodeId: string }) | null {
    const sentBy = { id: flow.id, version: flow.version, nodeId: output.nodeId };
    if (output.kind === 'template') {
      const template = conversation.org.templates.get(output.name);
      return template ? { ...this.rows.templateMessage(conversation, template, at, 'BOT', sentBy, index), nodeId: output.nodeId } : null;
    }
    if (output.kind !== 'content') return null;
    const content = output.content;
    const id = this.rng.uuid();
    const type = content.kind === 'media' ? content.mediaKind.toUpperCase() : content.kind === 'text' ? 'TEXT' : 'INTERACTIVE';
    const message: OutboundMessage = {
      organizationId: conversation.org.id, conversationId: conversation.id, channelId: conversation.channel.id, id, createdAt: at, type,
      text: content.kind === 'media' ? (content.caption ?? null) : content.text,
      payload: JSON.stringify(buildContentRequest({ to: conversation.waId, callbackData: id }, content)),
      author: 'BOT', flow: sentBy, pricingCategory: fromAd ? 'referral_conversion' : 'service',
    };
    return { message, delivery: this.rows.deliver(content.kind === 'media' ? 'media' : 'service', at, index), nodeId: output.nodeId };
  }

  /** What a customer does at a waiting node: an answer (valid or not) at some time, or nothing. */
  private customerReply(conversation: SimConversation, node: FlowNode, state: BotState, prompt: Delivery, turn: number, reluctant: boolean): (CustomerMessage & { metaAt: number }) | null {
    if (prompt.deliveredAt === null || prompt.failed) return null;
    const rng = this.rng;
    // Drop-off grows along the path and after a rejected answer.
    const silence = reluctant ? 0.85 : Math.min(0.4, 0.1 + 0.04 * turn + (state.attempts > 0 ? 0.15 : 0));
    if (rng.chance(silence)) return null;
    const late = rng.chance(0.03);
    const think = late ? rng.logNormal(2 * HOUR, 14 * HOUR) : node.type === 'question' ? rng.logNormal(22 * SECOND, 3 * MINUTE) : rng.logNormal(9 * SECOND, 70 * SECOND);
    const metaAt = prompt.deliveredAt + 1500 + think;
    if (node.type === 'message') {
      const options = messageOptions(node);
      if (!options.length || rng.chance(0.08)) return { metaAt, ...invalidAnswer(rng, undefined) };
      const option = options[rng.weighted(options.map((_, i) => 1 / (i + 1.2)))]!;
      // Most tap the button; some type its title.
      if (rng.chance(0.9)) return { metaAt, input: { kind: 'reply', id: option.id, title: option.title }, type: 'INTERACTIVE' };
      return { metaAt, input: { kind: 'text', text: option.title.toLowerCase() }, type: 'TEXT' };
    }
    if (node.type !== 'question') return null;
    if (rng.chance(INVALID_RATE[node.validate?.kind ?? 'text'] ?? 0.05)) return { metaAt, ...invalidAnswer(rng, node.validate) };
    return { metaAt, ...validAnswer(rng, conversation, node.validate, node.saveAs) };
  }
}
