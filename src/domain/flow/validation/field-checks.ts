import { charLength, describeType, isPlainObject } from '../../outbound-limits';
import { LAST_INPUT } from '../bot-state';
import { FLOW_LIMITS } from '../flow-limits';
import { type Report } from './flow-problems';

/** Shared checks of definition fields. Each reports under the field name it is given and returns the value when it is usable. */

/** JSON `null` counts as absent, as an omitted field does. */
export const isAbsent = (value: unknown): value is undefined | null => value === undefined || value === null;

/** A key as it appears in a problem's field: hostile keys can be megabytes long. */
export const shownKey = (key: string) => (key.length > 60 ? `${key.slice(0, 60)}…` : key);

export function checkKnownFields(report: Report, value: Record<string, unknown>, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) report(`${prefix}${shownKey(key)}`, `is not a known field here (known: ${allowed.join(', ')})`);
  }
}

export interface TextRule {
  max: number;
  optional?: boolean;
}

/** A non-blank string of at most `max` characters (code points). */
export function checkText(report: Report, field: string, value: unknown, rule: TextRule): string | undefined {
  if (isAbsent(value)) {
    if (!rule.optional) report(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') {
    report(field, `must be a string, not ${describeType(value)}`);
    return undefined;
  }
  if (charLength(value, rule.max) > rule.max) {
    report(field, `must be at most ${rule.max} characters`);
    return undefined;
  }
  if (value.trim() === '') {
    report(field, 'must not be blank');
    return undefined;
  }
  return value;
}

export function checkInteger(report: Report, field: string, value: unknown, min: number, max: number): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    report(field, `must be a whole number from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

/**
 * A field naming another node. `required` explains why it must be there (the node's way forward);
 * whether the node exists is the graph check's business.
 */
export function checkTarget(report: Report, field: string, value: unknown, required: string | false): void {
  if (isAbsent(value)) {
    if (required) report(field, `is required: ${required}`);
    return;
  }
  if (typeof value !== 'string' || value.trim() === '') report(field, 'must be the id of a node');
}

/** Allowed only where the node has a use for it; a field that does nothing is a mistake worth telling. */
export function reportUnused(report: Report, node: Record<string, unknown>, fields: readonly string[], why: string): void {
  for (const field of fields) {
    if (!isAbsent(node[field])) report(field, `is not used ${why}`);
  }
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Readable only, or read differently: `{{contact.name}}`, `{{last_input}}`. */
const RESERVED_VARIABLES = new Set([LAST_INPUT, 'contact', '__proto__']);

/** A variable a node writes (`saveAs`, `set`'s `var`). */
export function checkVariableName(report: Report, field: string, value: unknown, required: boolean): void {
  if (isAbsent(value)) {
    if (required) report(field, 'is required');
    return;
  }
  if (typeof value !== 'string' || value.length > FLOW_LIMITS.variableName || !VARIABLE.test(value)) {
    report(field, `must be a variable name: a letter or _ then letters, digits or _ (at most ${FLOW_LIMITS.variableName})`);
  } else if (RESERVED_VARIABLES.has(value)) {
    report(field, `"${value}" is reserved: choose another name`);
  }
}

const READABLE_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** A variable a condition reads: a saved one, `contact.name`, `last_input`, or an HTTP result field (`order.status`). */
export function checkReadableVariable(report: Report, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length > 2 * FLOW_LIMITS.variableName + 1 || !READABLE_VARIABLE.test(value)) {
    report(field, isAbsent(value) ? 'is required' : 'must be a variable name such as email, contact.name or order.status');
  }
}

/** A list of `noun`s with min..max items; returns the items worth checking (at most max). */
export function readList(
  report: Report,
  field: string,
  value: unknown,
  min: number,
  max: number,
  noun: string,
  plural = `${noun}s`,
): unknown[] {
  if (!Array.isArray(value)) {
    report(field, isAbsent(value) ? 'is required' : `must be a list, not ${describeType(value)}`);
    return [];
  }
  const count = (n: number) => `${n} ${n === 1 ? noun : plural}`;
  if (value.length < min) report(field, `must have at least ${count(min)}`);
  if (value.length > max) report(field, `must have at most ${count(max)} (got ${value.length})`);
  return value.slice(0, max);
}

/** An optional object field; reports a wrong type. */
export function readObject(report: Report, field: string, value: unknown): Record<string, unknown> | undefined {
  if (isPlainObject(value)) return value;
  if (!isAbsent(value)) report(field, `must be an object, not ${describeType(value)}`);
  return undefined;
}
