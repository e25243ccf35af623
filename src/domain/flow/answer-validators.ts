import { charLength } from '../outbound-limits';
import { normalizeWhatsAppNumber } from '../phone-number';
import { type AnswerValidator, type FlowValue } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';

export type AnswerCheck = { ok: true; value: FlowValue } | { ok: false };

const INVALID: AnswerCheck = { ok: false };

const EMAIL_MAX = 254;
/** Labels are separated by dots the classes exclude, so the match is linear. */
const EMAIL = /^[^\s@]+@(?:[^\s@.]+\.)+[^\s@.]{2,}$/;
const NUMBER_MAX = 32;
/** Digits with an optional sign and decimal point. No thousands separators: "1,000" is never guessed. */
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;

/**
 * Checks a question's answer and returns the value to save, normalised: trimmed text, a number
 * as a number, a phone in E.164 digits (no +), an email lower-cased, a choice as the option is
 * written. A blank answer is never valid.
 */
export function checkAnswer(validator: AnswerValidator | undefined, answer: string): AnswerCheck {
  const text = answer.trim();
  if (text === '') return INVALID;
  const rule = validator ?? { kind: 'text' };
  switch (rule.kind) {
    case 'text':
      return checkTextAnswer(rule, text);
    case 'email':
      return text.length <= EMAIL_MAX && EMAIL.test(text) ? { ok: true, value: text.toLowerCase() } : INVALID;
    case 'phone': {
      const digits = normalizeWhatsAppNumber(text);
      return digits === null ? INVALID : { ok: true, value: digits };
    }
    case 'number':
      return checkNumberAnswer(rule, text);
    case 'choice': {
      const wanted = text.toLowerCase();
      const option = (rule.options ?? []).find((candidate) => candidate.trim().toLowerCase() === wanted);
      return option === undefined ? INVALID : { ok: true, value: option };
    }
    case 'regex':
      return checkRegexAnswer(rule, text);
    default:
      return INVALID;
  }
}

function withinBounds(value: number, rule: AnswerValidator): boolean {
  return (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max);
}

function checkTextAnswer(rule: AnswerValidator, text: string): AnswerCheck {
  const max = Math.min(rule.max ?? FLOW_LIMITS.variableValue, FLOW_LIMITS.variableValue);
  const length = charLength(text, max);
  return length <= max && withinBounds(length, rule) ? { ok: true, value: text } : INVALID;
}

function checkNumberAnswer(rule: AnswerValidator, text: string): AnswerCheck {
  if (text.length > NUMBER_MAX || !NUMBER.test(text)) return INVALID;
  // At most 32 characters: always a finite number.
  const value = Number(text);
  return withinBounds(value, rule) ? { ok: true, value } : INVALID;
}

function checkRegexAnswer(rule: AnswerValidator, text: string): AnswerCheck {
  if (text.length > FLOW_LIMITS.regexInput || rule.pattern === undefined) return INVALID;
  const pattern = compilePattern(rule.pattern);
  return pattern !== null && pattern.test(text) ? { ok: true, value: text } : INVALID;
}

/** A validator's pattern as a RegExp, or null when it does not compile. */
export function compilePattern(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}
