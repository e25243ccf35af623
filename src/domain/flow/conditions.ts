import { type ComparisonOp, type ComparisonValue, type Condition, type FlowValue } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';

/**
 * Condition semantics (DESIGN.md section 11):
 * - Two numbers, or strings that read as numbers ("42", "-3.5"), compare as numbers.
 * - Other text compares case-insensitively, like every match of customer text in a flow
 *   (button titles, keywords); `>`/`<` then order text alphabetically (ISO dates order correctly).
 * - A missing variable is null: it compares false, except `!=` and `not_in`, which hold. A
 *   `value` of null tests for that: `== null` holds when the variable is missing or null.
 * - `contains` is a case-insensitive substring test on the variable's text.
 * - `{ all: [...] }` holds when every item does; `{ any: [...] }` when one does.
 * Nothing here throws.
 */
export function evaluateCondition(condition: Condition, lookup: (name: string) => FlowValue): boolean {
  return evaluateAt(condition, lookup, 0);
}

function evaluateAt(condition: Condition, lookup: (name: string) => FlowValue, depth: number): boolean {
  // Validation bounds nesting; this keeps an unvalidated definition from exhausting the stack.
  if (depth > FLOW_LIMITS.conditionDepth) return false;
  if ('all' in condition) return condition.all.every((item) => evaluateAt(item, lookup, depth + 1));
  if ('any' in condition) return condition.any.some((item) => evaluateAt(item, lookup, depth + 1));
  return compare(lookup(condition.var), condition.op, condition.value);
}

type Scalar = string | number | boolean;

export function compare(left: FlowValue, op: ComparisonOp, right: ComparisonValue): boolean {
  if (right === null) {
    if (op === '==') return left === null;
    if (op === '!=') return left !== null;
    return false;
  }
  if (left === null) return op === '!=' || op === 'not_in';
  switch (op) {
    case '==':
      return !Array.isArray(right) && equal(left, right);
    case '!=':
      return Array.isArray(right) || !equal(left, right);
    case 'in':
      return Array.isArray(right) && right.some((item) => equal(left, item));
    case 'not_in':
      return !Array.isArray(right) || !right.some((item) => equal(left, item));
    case 'contains':
      return !Array.isArray(right) && String(left).toLowerCase().includes(String(right).toLowerCase());
    case '>':
    case '<':
    case '>=':
    case '<=':
      return !Array.isArray(right) && ordered(left, op, right);
    default:
      return false;
  }
}

const NUMERIC = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** The number a value stands for: a finite number, or a string written as one; '' and booleans are not numbers. */
export function asNumber(value: Scalar): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.length <= 64 && NUMERIC.test(value)) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function equal(left: Scalar, right: Scalar): boolean {
  const a = asNumber(left);
  const b = asNumber(right);
  if (a !== null && b !== null) return a === b;
  return String(left).toLowerCase() === String(right).toLowerCase();
}

function ordered(left: Scalar, op: '>' | '<' | '>=' | '<=', right: Scalar): boolean {
  let difference: number;
  const a = asNumber(left);
  const b = asNumber(right);
  if (a !== null && b !== null) {
    difference = a - b;
  } else if (a === null && b === null && typeof left === 'string' && typeof right === 'string') {
    const x = left.toLowerCase();
    const y = right.toLowerCase();
    difference = x < y ? -1 : x > y ? 1 : 0;
  } else {
    // A number against a word, or a boolean: no order, so never true.
    return false;
  }
  if (op === '>') return difference > 0;
  if (op === '<') return difference < 0;
  if (op === '>=') return difference >= 0;
  return difference <= 0;
}
