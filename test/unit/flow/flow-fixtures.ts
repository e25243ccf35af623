import { type BotState } from '../../../src/domain/flow/bot-state';
import { type FlowDefinition, type FlowNode } from '../../../src/domain/flow/flow-definition';
import { type InboundInput, type StepContext, type StepResult } from '../../../src/domain/flow/flow-run';

/** Builders shared by the flow unit tests. */

export const NOW = new Date('2025-03-01T10:00:00.000Z');

export const ctx = (overrides: Partial<StepContext> = {}): StepContext => ({
  now: NOW,
  contact: { name: 'Ana', phone: '5511999990001' },
  ...overrides,
});

export const flowOf = (nodes: FlowNode[], start = nodes[0]!.id, extra: Partial<FlowDefinition> = {}) => ({
  id: 'flow-1',
  version: 1,
  definition: { start, nodes, ...extra } as FlowDefinition,
});

export const text = (value: string): InboundInput => ({ kind: 'text', text: value });
export const reply = (id: string, title: string): InboundInput => ({ kind: 'reply', id, title });
export const other = (value?: string | null): InboundInput => ({ kind: 'other', text: value });

/** The texts a step sends, in order (bodies of interactive messages, captions of media). */
export function sentTexts(result: StepResult): string[] {
  return result.outputs.flatMap((output) => {
    if (output.kind !== 'content') return [];
    const content = output.content;
    return content.kind === 'media' ? [content.caption ?? `[${content.mediaKind}]`] : [content.text];
  });
}

export const eventTypes = (result: StepResult) => result.events.map((event) => event.type);

export const enteredNodes = (result: StepResult) =>
  result.events.flatMap((event) => (event.type === 'node_entered' ? [event.nodeId] : []));

/** A state as stored between messages (JSON round trip), so tests never share objects with the engine. */
export const stored = (state: BotState): BotState => JSON.parse(JSON.stringify(state)) as BotState;

export const end = (id = 'done', textValue?: string): FlowNode => ({ id, type: 'end', ...(textValue ? { text: textValue } : {}) });
