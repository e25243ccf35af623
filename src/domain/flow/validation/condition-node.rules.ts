import { charLength, describeType, isPlainObject } from '../../outbound-limits';
import { COMPARISON_OPS } from '../flow-definition';
import { FLOW_LIMITS } from '../flow-limits';
import { checkKnownFields, checkReadableVariable, checkTarget, isAbsent, readList } from './field-checks';
import { type Report } from './flow-problems';

const CONDITION_FIELDS = ['id', 'type', 'branches', 'else'] as const;
const BRANCH_FIELDS = ['when', 'next'] as const;
const COMPARISON_FIELDS = ['var', 'op', 'value'] as const;
const ORDER_OPS = new Set<unknown>(['>', '<', '>=', '<=']);
const LIST_OPS = new Set<unknown>(['in', 'not_in']);

/** A condition: branches tried in order, each `when` + `next`, and `else` when none holds. */
export function checkConditionNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, CONDITION_FIELDS);
  const branches = readList(report, 'branches', node.branches, 1, FLOW_LIMITS.branches, 'branch', 'branches');
  branches.forEach((branch, index) => {
    const field = `branches[${index}]`;
    if (!isPlainObject(branch)) {
      report(field, `must be an object { when, next }, not ${describeType(branch)}`);
      return;
    }
    checkKnownFields(report, branch, BRANCH_FIELDS, `${field}.`);
    checkCondition(report, `${field}.when`, branch.when, 0);
    checkTarget(report, `${field}.next`, branch.next, 'each branch leads somewhere');
  });
  checkTarget(report, 'else', node.else, 'a condition goes to else when no branch holds');
}

/** A comparison `{ var, op, value }` or a group `{ all }` / `{ any }`, nested at most FLOW_LIMITS.conditionDepth groups deep. */
function checkCondition(report: Report, field: string, value: unknown, depth: number): void {
  if (!isPlainObject(value)) {
    const what = isAbsent(value) ? 'is required' : `must be an object, not ${describeType(value)}`;
    report(field, `${what}: a comparison { var, op, value } or a group { all: [...] } / { any: [...] }`);
    return;
  }
  const group = 'all' in value ? 'all' : 'any' in value ? 'any' : null;
  if (group === null) {
    checkComparison(report, field, value);
    return;
  }
  checkKnownFields(report, value, [group], `${field}.`);
  if (depth >= FLOW_LIMITS.conditionDepth) {
    report(`${field}.${group}`, `nests groups too deeply: at most ${FLOW_LIMITS.conditionDepth} levels`);
    return;
  }
  const items = readList(report, `${field}.${group}`, value[group], 1, FLOW_LIMITS.groupItems, 'condition');
  items.forEach((item, index) => checkCondition(report, `${field}.${group}[${index}]`, item, depth + 1));
}

function checkComparison(report: Report, field: string, comparison: Record<string, unknown>): void {
  checkKnownFields(report, comparison, COMPARISON_FIELDS, `${field}.`);
  checkReadableVariable(report, `${field}.var`, comparison.var);
  const op = comparison.op;
  if (!COMPARISON_OPS.includes(op as never)) {
    report(`${field}.op`, `${isAbsent(op) ? 'is required: ' : 'must be '}one of ${COMPARISON_OPS.join(', ')}`);
  }
  const valueField = `${field}.value`;
  const value = comparison.value;
  if (!('value' in comparison)) {
    report(valueField, 'is required (null tests for a missing variable)');
  } else if (LIST_OPS.has(op)) {
    const items = readList(report, valueField, value, 1, FLOW_LIMITS.comparisonList, 'value');
    items.forEach((item, index) => checkScalar(report, `${valueField}[${index}]`, item, false));
  } else if (Array.isArray(value)) {
    report(valueField, `must be a single value: only in and not_in take a list`);
  } else if (ORDER_OPS.has(op) && (value === null || typeof value === 'boolean')) {
    report(valueField, `must be a number or a text to compare ${String(op)} with, not ${describeType(value)}`);
  } else {
    checkScalar(report, valueField, value, true);
  }
}

function checkScalar(report: Report, field: string, value: unknown, nullable: boolean): void {
  if ((value === null && nullable) || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) report(field, 'must be a finite number');
  } else if (typeof value !== 'string') {
    report(field, `must be a string, a number or a boolean, not ${describeType(value)}`);
  } else if (charLength(value, FLOW_LIMITS.comparisonText) > FLOW_LIMITS.comparisonText) {
    report(field, `must be at most ${FLOW_LIMITS.comparisonText} characters`);
  }
}
