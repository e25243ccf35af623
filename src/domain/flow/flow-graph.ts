import { OUTBOUND_LIMITS, isPlainObject } from '../outbound-limits';
import { FLOW_LIMITS } from './flow-limits';

/** An edge of the flow graph: the field of a node that names the next node. */
export interface FlowEdge {
  field: string;
  target: string;
}

/**
 * Every edge leaving a node, read from raw (unvalidated) JSON: buttons and list rows, `next`,
 * `else`, branches, `to`, and the failure edges `onInvalid` and `onError`. Fields that are not a
 * non-blank string are left to the field checks; lists are read only up to their limits.
 */
export function nodeEdges(node: Record<string, unknown>): FlowEdge[] {
  const edges: FlowEdge[] = [];
  const add = (field: string, target: unknown) => {
    if (typeof target === 'string' && target.trim() !== '') edges.push({ field, target });
  };
  const items = (value: unknown, max: number): Record<string, unknown>[] =>
    Array.isArray(value) ? value.slice(0, max).filter(isPlainObject) : [];
  switch (node.type) {
    case 'message': {
      items(node.buttons, OUTBOUND_LIMITS.buttonsMax).forEach((button, i) => add(`buttons[${i}].next`, button.next));
      let rows = 0;
      const list = isPlainObject(node.list) ? node.list : {};
      (Array.isArray(list.sections) ? list.sections.slice(0, OUTBOUND_LIMITS.listSectionsMax) : []).forEach((section, s) => {
        if (!isPlainObject(section) || !Array.isArray(section.rows)) return;
        section.rows.slice(0, OUTBOUND_LIMITS.listRowsMax - rows).forEach((row: unknown, r: number) => {
          rows += 1;
          if (isPlainObject(row)) add(`list.sections[${s}].rows[${r}].next`, row.next);
        });
      });
      add('next', node.next);
      add('onInvalid', node.onInvalid);
      break;
    }
    case 'question':
      add('next', node.next);
      add('onInvalid', node.onInvalid);
      break;
    case 'condition':
      items(node.branches, FLOW_LIMITS.branches).forEach((branch, i) => add(`branches[${i}].next`, branch.next));
      add('else', node.else);
      break;
    case 'set':
    case 'template':
      add('next', node.next);
      break;
    case 'http':
      add('next', node.next);
      add('onError', node.onError);
      break;
    case 'jump':
      add('to', node.to);
      break;
    default:
      // handoff and end lead nowhere; unknown types are reported by the field checks.
      break;
  }
  return edges;
}

/** Which nodes can be reached from `start` along `adjacency` (node index -> next indexes). Iterative: any depth is safe. */
export function reachable(start: number, adjacency: readonly (readonly number[])[]): boolean[] {
  const seen = new Array<boolean>(adjacency.length).fill(false);
  const stack = [start];
  seen[start] = true;
  while (stack.length > 0) {
    const from = stack.pop()!;
    for (const to of adjacency[from]!) {
      if (!seen[to]) {
        seen[to] = true;
        stack.push(to);
      }
    }
  }
  return seen;
}
