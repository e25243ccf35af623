import { validateFlow, type FlowProblem } from '../../../src/domain/flow/flow-validation';

/** Helpers for the validateFlow tests. */

/** The problems validateFlow reports; fails the test when it accepts the definition. */
export function problemsOf(definition: unknown): FlowProblem[] {
  const result = validateFlow(definition);
  if (result.ok) throw new Error('Expected validateFlow to refuse this definition');
  return result.problems;
}

export function expectValid(definition: unknown): void {
  const result = validateFlow(definition);
  expect(result.ok ? [] : result.problems).toEqual([]);
}

export type Node = Record<string, unknown>;

/** End nodes a, b and c: targets for the node under test. */
export const TARGETS: Node[] = ['a', 'b', 'c'].map((id) => ({ id, type: 'end' }));

/**
 * The problems of one node, `{ field, message }`, in a flow that starts at it and offers end nodes
 * a, b and c as targets (those it does not use are unreachable: their problems are left out).
 */
export function nodeProblems(node: Node): { field: string; message: string }[] {
  const result = validateFlow({ start: node.id, nodes: [node, ...TARGETS] });
  if (result.ok) return [];
  return result.problems.filter((problem) => problem.nodeId === node.id).map(({ field, message }) => ({ field, message }));
}

export const fieldsOf = (node: Node) => nodeProblems(node).map((problem) => problem.field);

export const message = (overrides: Node = {}): Node => ({ id: 'n', type: 'message', text: 'Hello', next: 'a', ...overrides });

export const buttons = (overrides: Node = {}): Node => ({
  id: 'n',
  type: 'message',
  text: 'Pick one',
  buttons: [
    { id: 'x', title: 'X', next: 'a' },
    { id: 'y', title: 'Y', next: 'b' },
  ],
  ...overrides,
});

export const rows = (n: number, next = 'a') => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `Row ${i}`, next }));

export const list = (listOverrides: Node = {}, overrides: Node = {}): Node => ({
  id: 'n',
  type: 'message',
  text: 'Choose',
  list: { button: 'Open', sections: [{ title: 'All', rows: rows(2) }], ...listOverrides },
  ...overrides,
});

export const question = (overrides: Node = {}): Node => ({ id: 'n', type: 'question', text: 'Your email?', next: 'a', ...overrides });

export const condition = (when: unknown, overrides: Node = {}): Node => ({
  id: 'n',
  type: 'condition',
  branches: [{ when, next: 'a' }],
  else: 'b',
  ...overrides,
});

export const http = (overrides: Node = {}): Node => ({ id: 'n', type: 'http', url: 'https://api.test/x', next: 'a', ...overrides });

export const template = (overrides: Node = {}): Node => ({ id: 'n', type: 'template', template: 'welcome_back', language: 'en', next: 'a', ...overrides });
