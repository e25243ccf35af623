import { describeType, isPlainObject } from '../outbound-limits';
import { NODE_TYPES, type FlowDefinition } from './flow-definition';
import { nodeEdges, reachable } from './flow-graph';
import { FLOW_LIMITS } from './flow-limits';
import { checkConditionNode } from './validation/condition-node.rules';
import { checkInteger, checkKnownFields, checkText, isAbsent, readList, readObject, shownKey } from './validation/field-checks';
import { FlowProblems, type FlowProblem, type Report } from './validation/flow-problems';
import { checkHttpNode } from './validation/http-node.rules';
import { checkMessageNode } from './validation/message-node.rules';
import { checkQuestionNode } from './validation/question-node.rules';
import { checkFinalNode, checkJumpNode, checkSetNode } from './validation/simple-nodes.rules';
import { checkTemplateNode } from './validation/template-node.rules';

export type { FlowDefinition } from './flow-definition';
export type { FlowProblem } from './validation/flow-problems';

export type FlowValidation = { ok: true; definition: FlowDefinition } | { ok: false; problems: FlowProblem[] };

const TOP_FIELDS = ['start', 'nodes', 'sessionTtlMinutes', 'triggers'] as const;

const NODE_RULES: Record<(typeof NODE_TYPES)[number], (report: Report, node: Record<string, unknown>) => void> = {
  message: checkMessageNode,
  question: checkQuestionNode,
  condition: checkConditionNode,
  set: checkSetNode,
  jump: checkJumpNode,
  template: checkTemplateNode,
  http: checkHttpNode,
  handoff: checkFinalNode,
  end: checkFinalNode,
};

/**
 * Checks a flow definition (DESIGN.md section 11) on save and publish, and reports every problem
 * at once, each with its node id and field: the fields of every node (types, WhatsApp's limits,
 * unknown fields), duplicate ids, a `start` that exists, targets that resolve, nodes reachable
 * from start, and a way forward from every node but `end` and `handoff`. Linear in the size of
 * the input and free of recursion over the graph, so a 10,000-node definition is refused quickly.
 */
export function validateFlow(definition: unknown): FlowValidation {
  const problems = new FlowProblems();
  if (!isPlainObject(definition)) {
    problems.add(null, 'definition', `must be an object { start, nodes }, not ${describeType(definition)}`);
    return { ok: false, problems: problems.toList() };
  }
  const top = problems.forNode(null);
  checkKnownFields(top, definition, TOP_FIELDS);
  checkInteger(top, 'sessionTtlMinutes', definition.sessionTtlMinutes, FLOW_LIMITS.sessionTtlMinutesMin, FLOW_LIMITS.sessionTtlMinutesMax);
  checkTriggers(top, definition.triggers);

  const graph = checkNodes(problems, definition.nodes);
  const start = checkText(top, 'start', definition.start, { max: FLOW_LIMITS.nodeId });
  const startIndex = start === undefined ? undefined : graph.index.get(start);
  if (start !== undefined && startIndex === undefined) top('start', `names "${start}", which is not a node of this flow`);

  const adjacency = graph.nodes.map(({ id, node }) =>
    nodeEdges(node).flatMap(({ field, target }) => {
      const to = graph.index.get(target);
      if (to === undefined) problems.add(id, field, `points to "${shownKey(target)}", which is not a node of this flow`);
      return to === undefined ? [] : [to];
    }),
  );
  if (startIndex !== undefined) {
    const seen = reachable(startIndex, adjacency);
    graph.nodes.forEach(({ id }, i) => {
      if (!seen[i]) problems.add(id, 'id', 'is not reachable from start');
    });
  }
  return problems.isEmpty ? { ok: true, definition: definition as unknown as FlowDefinition } : { ok: false, problems: problems.toList() };
}

interface NodeGraph {
  /** The nodes with a valid, first-seen id, in order. */
  nodes: { id: string; node: Record<string, unknown> }[];
  /** Id -> position in `nodes`. */
  index: Map<string, number>;
}

function checkNodes(problems: FlowProblems, value: unknown): NodeGraph {
  const graph: NodeGraph = { nodes: [], index: new Map() };
  const list = readList(problems.forNode(null), 'nodes', value, 1, Number.POSITIVE_INFINITY, 'node');
  if (list.length > FLOW_LIMITS.nodes) {
    problems.add(null, 'nodes', `must have at most ${FLOW_LIMITS.nodes} nodes (got ${list.length})`);
  }
  const firstSeen = new Map<string, number>();
  list.forEach((node, i) => {
    if (!isPlainObject(node)) {
      problems.add(null, `nodes[${i}]`, `must be an object, not ${describeType(node)}`);
      return;
    }
    const id = nodeId(problems.forNode(null, `nodes[${i}].`), node.id);
    const report = id === undefined ? problems.forNode(null, `nodes[${i}].`) : problems.forNode(id);
    const duplicateOf = id === undefined ? undefined : firstSeen.get(id);
    if (duplicateOf !== undefined) report('id', `repeats the id of nodes[${duplicateOf}]: node ids must be unique`);
    const rule = NODE_TYPES.includes(node.type as never) ? NODE_RULES[node.type as (typeof NODE_TYPES)[number]] : null;
    if (rule) rule(report, node);
    else report('type', `${isAbsent(node.type) ? 'is required: ' : 'must be '}one of ${NODE_TYPES.join(', ')}`);
    if (id !== undefined && duplicateOf === undefined) {
      firstSeen.set(id, i);
      graph.index.set(id, graph.nodes.length);
      graph.nodes.push({ id, node });
    }
  });
  return graph;
}

const nodeId = (report: Report, value: unknown): string | undefined => checkText(report, 'id', value, { max: FLOW_LIMITS.nodeId });

function checkTriggers(report: Report, value: unknown): void {
  const triggers = readObject(report, 'triggers', value);
  if (!triggers) return;
  checkKnownFields(report, triggers, ['keywords'], 'triggers.');
  const keywords = readList(report, 'triggers.keywords', triggers.keywords, 0, FLOW_LIMITS.keywords, 'keyword');
  const seen = new Set<string>();
  keywords.forEach((keyword, i) => {
    const text = checkText(report, `triggers.keywords[${i}]`, keyword, { max: FLOW_LIMITS.keyword });
    if (text === undefined) return;
    // Keywords match the whole message, case-insensitively.
    const key = text.trim().toLowerCase();
    if (seen.has(key)) report(`triggers.keywords[${i}]`, `repeats the keyword "${text}"`);
    seen.add(key);
  });
}
