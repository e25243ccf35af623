import { describeType, isPlainObject } from '../../outbound-limits';
import { FLOW_LIMITS } from '../flow-limits';
import { checkKnownFields, checkTarget, checkText, isAbsent, readList, readObject, shownKey } from './field-checks';
import { type Report } from './flow-problems';

const TEMPLATE_FIELDS = ['id', 'type', 'template', 'language', 'parameters', 'next'] as const;
const PARAMETER_FIELDS = ['header', 'body', 'buttons'] as const;
const HEADER_OBJECT_FIELDS = ['link', 'id', 'filename', 'latitude', 'longitude', 'name', 'address'] as const;
/** As in template-rules.ts: Meta's template names and language codes. */
const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
const NAMED_PARAMETER = /^[a-z][a-z0-9_]{0,99}$/;
const BUTTON_PARAMETERS = 10;

/**
 * A template send. Only the shape is checked here: whether the template exists, is approved and
 * takes these parameters is known when it is sent (buildTemplateComponents in template-rules.ts).
 */
export function checkTemplateNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, TEMPLATE_FIELDS);
  const name = checkText(report, 'template', node.template, { max: 512 });
  if (name !== undefined && !NAME.test(name)) report('template', 'must be a template name: lowercase letters, digits and _');
  const language = checkText(report, 'language', node.language, { max: 6 });
  if (language !== undefined && !LANGUAGE.test(language)) report('language', 'must be a language code such as en or en_US');
  checkParameters(report, node.parameters);
  checkTarget(report, 'next', node.next, 'a template continues to next once sent');
}

function checkParameters(report: Report, value: unknown): void {
  const parameters = readObject(report, 'parameters', value);
  if (!parameters) return;
  checkKnownFields(report, parameters, PARAMETER_FIELDS, 'parameters.');
  checkHeader(report, parameters.header);
  checkBody(report, parameters.body);
  if (!isAbsent(parameters.buttons)) {
    const buttons = readList(report, 'parameters.buttons', parameters.buttons, 0, BUTTON_PARAMETERS, 'button value');
    buttons.forEach((item, index) => {
      if (item !== null) parameterText(report, `parameters.buttons[${index}]`, item);
    });
  }
}

const parameterText = (report: Report, field: string, value: unknown) =>
  checkText(report, field, value, { max: FLOW_LIMITS.templateParameter });

function checkHeader(report: Report, header: unknown): void {
  if (isAbsent(header) || typeof header === 'string') {
    if (typeof header === 'string') parameterText(report, 'parameters.header', header);
    return;
  }
  if (!isPlainObject(header)) {
    report('parameters.header', `must be a text or an object (media or location), not ${describeType(header)}`);
    return;
  }
  checkKnownFields(report, header, HEADER_OBJECT_FIELDS, 'parameters.header.');
  for (const key of HEADER_OBJECT_FIELDS) {
    const item = header[key];
    if (isAbsent(item)) continue;
    if (typeof item === 'number' ? !Number.isFinite(item) : typeof item !== 'string') {
      report(`parameters.header.${key}`, `must be a text or a number, not ${describeType(item)}`);
    } else if (typeof item === 'string') {
      parameterText(report, `parameters.header.${key}`, item);
    }
  }
}

function checkBody(report: Report, body: unknown): void {
  if (isAbsent(body)) return;
  if (Array.isArray(body)) {
    const items = readList(report, 'parameters.body', body, 0, FLOW_LIMITS.templateParameters, 'value');
    items.forEach((item, index) => parameterText(report, `parameters.body[${index}]`, item));
    return;
  }
  if (!isPlainObject(body)) {
    report('parameters.body', `must be a list (positional) or an object keyed by placeholder name, not ${describeType(body)}`);
    return;
  }
  const entries = Object.entries(body);
  if (entries.length > FLOW_LIMITS.templateParameters) {
    report('parameters.body', `must have at most ${FLOW_LIMITS.templateParameters} values (got ${entries.length})`);
  }
  for (const [key, item] of entries.slice(0, FLOW_LIMITS.templateParameters)) {
    if (!NAMED_PARAMETER.test(key)) report(`parameters.body.${shownKey(key)}`, 'is not a placeholder name: lowercase letters, digits and _');
    else parameterText(report, `parameters.body.${key}`, item);
  }
}
