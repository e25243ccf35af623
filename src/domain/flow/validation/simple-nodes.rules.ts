import { charLength, describeType } from '../../outbound-limits';
import { FLOW_LIMITS } from '../flow-limits';
import { checkKnownFields, checkTarget, checkText, checkVariableName, isAbsent } from './field-checks';
import { type Report } from './flow-problems';

const SET_FIELDS = ['id', 'type', 'var', 'value', 'next'] as const;
const JUMP_FIELDS = ['id', 'type', 'to', 'flow'] as const;
const FINAL_FIELDS = ['id', 'type', 'text'] as const;

/** `set`: saves `value` (a string is interpolated) as `var`. */
export function checkSetNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, SET_FIELDS);
  checkVariableName(report, 'var', node.var, true);
  const value = node.value;
  if (!('value' in node)) {
    report('value', 'is required (null clears the variable)');
  } else if (typeof value === 'string') {
    if (charLength(value, FLOW_LIMITS.variableValue) > FLOW_LIMITS.variableValue) {
      report('value', `must be at most ${FLOW_LIMITS.variableValue} characters`);
    }
  } else if (typeof value === 'number' ? !Number.isFinite(value) : value !== null && typeof value !== 'boolean') {
    report('value', `must be a text, a number, a boolean or null, not ${describeType(value)}`);
  }
  checkTarget(report, 'next', node.next, 'a set node continues to next');
}

/** `jump`: exactly one of `to` (a node here) and `flow` (another flow, whose published version starts). */
export function checkJumpNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, JUMP_FIELDS);
  const hasTo = !isAbsent(node.to);
  const hasFlow = !isAbsent(node.flow);
  if (hasTo && hasFlow) report('flow', 'cannot be used together with to: a jump goes to a node or to another flow');
  if (!hasFlow) checkTarget(report, 'to', node.to, "a jump needs to (a node's id) or flow (another flow's id)");
  else if (!hasTo) checkText(report, 'flow', node.flow, { max: FLOW_LIMITS.flowId });
}

/** `handoff` and `end`: an optional last text, and no way forward by design. */
export function checkFinalNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, FINAL_FIELDS);
  checkText(report, 'text', node.text, { max: FLOW_LIMITS.text, optional: true });
}
