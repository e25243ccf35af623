import { FLOW_LIMITS } from '../flow-limits';

/** One thing wrong with a flow definition: the node it is on (null for the top level) and the field. */
export interface FlowProblem {
  nodeId: string | null;
  /** Relative to the node (`buttons[1].title`), or to the definition for top-level problems (`start`, `nodes[3].id`). */
  field: string;
  message: string;
}

/** Where a rule reports what it finds; bound to one node and field prefix. */
export type Report = (field: string, message: string) => void;

/**
 * Collects every problem of a definition, so an author fixes them in one round trip. Hostile
 * input can hold tens of thousands: past FLOW_LIMITS.reportedProblems they are only counted, and a
 * last problem says how many were left out.
 */
export class FlowProblems {
  private readonly list: FlowProblem[] = [];
  private omitted = 0;

  add(nodeId: string | null, field: string, message: string): void {
    if (this.list.length < FLOW_LIMITS.reportedProblems) this.list.push({ nodeId, field, message });
    else this.omitted += 1;
  }

  forNode(nodeId: string | null, prefix = ''): Report {
    return (field, message) => this.add(nodeId, prefix + field, message);
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  toList(): FlowProblem[] {
    if (this.omitted === 0) return [...this.list];
    const more = `${this.omitted} more problem${this.omitted === 1 ? ' is' : 's are'} not listed`;
    return [...this.list, { nodeId: null, field: 'definition', message: more }];
  }
}
