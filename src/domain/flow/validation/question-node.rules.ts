import { charLength, describeType } from '../../outbound-limits';
import { compilePattern } from '../answer-validators';
import { VALIDATOR_KINDS } from '../flow-definition';
import { FLOW_LIMITS } from '../flow-limits';
import { checkInteger, checkKnownFields, checkTarget, checkText, checkVariableName, isAbsent, readList, readObject } from './field-checks';
import { type Report } from './flow-problems';

const QUESTION_FIELDS = ['id', 'type', 'text', 'validate', 'saveAs', 'retryText', 'maxAttempts', 'next', 'onInvalid'] as const;
const VALIDATOR_FIELDS = ['kind', 'options', 'pattern', 'min', 'max'] as const;

/** A question: asks `text`, waits, checks the answer with `validate`, saves it as `saveAs`. */
export function checkQuestionNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, QUESTION_FIELDS);
  checkText(report, 'text', node.text, { max: FLOW_LIMITS.text });
  checkValidator(report, node.validate);
  checkVariableName(report, 'saveAs', node.saveAs, false);
  checkText(report, 'retryText', node.retryText, { max: FLOW_LIMITS.text, optional: true });
  checkInteger(report, 'maxAttempts', node.maxAttempts, FLOW_LIMITS.maxAttemptsMin, FLOW_LIMITS.maxAttemptsMax);
  checkTarget(report, 'next', node.next, 'a question continues to next once answered');
  checkTarget(report, 'onInvalid', node.onInvalid, false);
}

function checkValidator(report: Report, value: unknown): void {
  const validator = readObject(report, 'validate', value);
  if (!validator) return;
  checkKnownFields(report, validator, VALIDATOR_FIELDS, 'validate.');
  const kind = validator.kind;
  if (!VALIDATOR_KINDS.includes(kind as never)) {
    report('validate.kind', `${isAbsent(kind) ? 'is required: ' : 'must be '}one of ${VALIDATOR_KINDS.join(', ')}`);
  }
  if (kind === 'choice') checkOptions(report, validator.options);
  else if (!isAbsent(validator.options)) report('validate.options', 'is only used by the choice validator');
  if (kind === 'regex') checkPattern(report, validator.pattern);
  else if (!isAbsent(validator.pattern)) report('validate.pattern', 'is only used by the regex validator');
  if (kind === 'text' || kind === 'number') checkBounds(report, kind, validator.min, validator.max);
  else {
    for (const bound of ['min', 'max'] as const) {
      if (!isAbsent(validator[bound])) report(`validate.${bound}`, 'is only used by the text (length) and number (value) validators');
    }
  }
}

function checkOptions(report: Report, value: unknown): void {
  const options = readList(report, 'validate.options', value, 1, FLOW_LIMITS.choiceOptions, 'option');
  const seen = new Set<string>();
  options.forEach((option, index) => {
    const field = `validate.options[${index}]`;
    const text = checkText(report, field, option, { max: FLOW_LIMITS.choiceOption });
    if (text === undefined) return;
    // Answers match options case-insensitively, so two options differing in case could never both be chosen.
    const key = text.trim().toLowerCase();
    if (seen.has(key)) report(field, `repeats the option "${text}"`);
    seen.add(key);
  });
}

function checkPattern(report: Report, value: unknown): void {
  if (isAbsent(value)) {
    report('validate.pattern', 'is required by the regex validator');
  } else if (typeof value !== 'string' || value === '') {
    report('validate.pattern', `must be a non-empty string, not ${value === '' ? 'an empty one' : describeType(value)}`);
  } else if (charLength(value, FLOW_LIMITS.pattern) > FLOW_LIMITS.pattern) {
    report('validate.pattern', `must be at most ${FLOW_LIMITS.pattern} characters`);
  } else if (compilePattern(value) === null) {
    report('validate.pattern', 'is not a valid regular expression');
  }
}

function checkBounds(report: Report, kind: 'text' | 'number', min: unknown, max: unknown): void {
  const valid: number[] = [];
  for (const [bound, value] of [['min', min], ['max', max]] as const) {
    if (isAbsent(value)) continue;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (kind === 'number' || (Number.isInteger(value) && value >= 0 && value <= FLOW_LIMITS.variableValue));
    if (ok) valid.push(value);
    else report(`validate.${bound}`, kind === 'number' ? 'must be a number' : `must be a whole number of characters from 0 to ${FLOW_LIMITS.variableValue}`);
  }
  if (typeof min === 'number' && typeof max === 'number' && valid.length === 2 && min > max) {
    report('validate.min', `must not be greater than max (${max})`);
  }
}
