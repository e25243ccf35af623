import {
  InputProblems,
  OUTBOUND_LIMITS,
  checkText,
  describeType,
  isHttpsUrl,
  isPlainObject,
  readList,
  type MediaKind,
} from './outbound-limits';
import { normalizeWhatsAppNumber } from './phone-number';

/**
 * Meta's rules for message templates (notes/meta-cloud-api.md sections 7 and 10): what a template
 * must look like before we submit it, which parameters an approved template takes, and the
 * `components` of a send request built from the caller's parameters. Everything is checked here so
 * that a bad template or a wrong parameter count is refused with BAD_USER_INPUT at once, instead of
 * a rejection hours later or a permanent 132000 from the Graph API.
 */

export type ParameterFormat = 'POSITIONAL' | 'NAMED';
export const PARAMETER_FORMATS: readonly ParameterFormat[] = ['POSITIONAL', 'NAMED'];
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export const TEMPLATE_CATEGORIES: readonly TemplateCategory[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];

export const TEMPLATE_LIMITS = {
  name: 512,
  headerText: 60,
  /** Placeholders in a text header. */
  headerPlaceholders: 1,
  bodyText: 1024,
  footerText: 60,
  buttonsMin: 1,
  buttonsMax: 10,
  buttonText: 25,
  urlButtonsMax: 2,
  phoneNumberButtonsMax: 1,
  copyCodeButtonsMax: 1,
  url: 2000,
  phoneNumber: 20,
  copyCode: 15,
  codeExpirationMinutesMin: 1,
  codeExpirationMinutesMax: 90,
  /** At send time. The header's whole text is limited to 60, so its one value is too. */
  headerParameter: 60,
  /** Our bounds, not Meta's: they keep hostile input small and fit any real value. */
  bodyParameter: 1024,
  exampleValue: 1024,
  buttonPayload: 256,
} as const;

const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
const POSITIONAL = /^[1-9][0-9]{0,2}$/;
/** Lowercase letters, digits and underscores, starting with a letter, so no name can be `__proto__`. */
const NAMED = /^[a-z][a-z0-9_]{0,99}$/;

// ---------------------------------------------------------------------------------------------
// Placeholders

export type Placeholder = { raw: string } & ({ kind: 'positional'; index: number } | { kind: 'named'; name: string });

export interface ParsedPlaceholders {
  placeholders: Placeholder[];
  /** Brace sequences that are not placeholders: `{{ 1 }}`, `{{0}}`, `{{First}}`, a lone `}}`. */
  invalid: string[];
}

/** Reads `{{1}}` and `{{name}}` placeholders in one linear scan (no regex backtracking on hostile text). */
export function parsePlaceholders(text: string): ParsedPlaceholders {
  const placeholders: Placeholder[] = [];
  const invalid: string[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    const strayClose = text.indexOf('}}', at);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      invalid.push('}}');
      at = strayClose + 2;
      continue;
    }
    if (open === -1) break;
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      invalid.push(text.slice(open, open + 20));
      break;
    }
    const inner = text.slice(open + 2, close);
    const raw = text.slice(open, close + 2);
    if (POSITIONAL.test(inner)) placeholders.push({ raw, kind: 'positional', index: Number(inner) });
    else if (NAMED.test(inner)) placeholders.push({ raw, kind: 'named', name: inner });
    else invalid.push(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
    at = close + 2;
  }
  return { placeholders, invalid };
}

/** Distinct parameters in send order: '1'..'n' for positional placeholders, names in order of appearance. */
function parameterNames(placeholders: Placeholder[]): string[] {
  const names: string[] = [];
  let highest = 0;
  for (const p of placeholders) {
    if (p.kind === 'positional') highest = Math.max(highest, p.index);
    else if (!names.includes(p.name)) names.push(p.name);
  }
  return highest > 0 ? Array.from({ length: highest }, (_, i) => String(i + 1)) : names;
}

// ---------------------------------------------------------------------------------------------
// Template definition (createTemplate)

export interface TemplateDefinitionInput {
  name: string;
  language: string;
  category: string;
  parameterFormat?: ParameterFormat;
  components: unknown;
}

const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const;
type ComponentType = (typeof COMPONENT_TYPES)[number];
const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'] as const;
type ButtonType = (typeof BUTTON_TYPES)[number];

const BUTTON_KEYS: Record<ButtonType, readonly string[]> = {
  QUICK_REPLY: ['type', 'text'],
  URL: ['type', 'text', 'url', 'example'],
  PHONE_NUMBER: ['type', 'text', 'phone_number'],
  COPY_CODE: ['type', 'example'],
  OTP: ['type', 'otp_type', 'text'],
};

interface DefinitionContext {
  problems: InputProblems;
  format: ParameterFormat;
  authentication: boolean;
}

/**
 * Checks a template before it is submitted to Meta and throws one BAD_USER_INPUT listing every
 * problem (see `InputProblems`). Component objects are Meta's own (`type: 'BODY'`, `example:
 * { body_text: [[...]] }`), so the accepted input is submitted unchanged; unknown properties are
 * refused rather than forwarded.
 *
 * Placeholders are numbered per component, `{{1}}` upwards without gaps (repeats allowed), or
 * named `{{first_name}}`; one kind per template. Without `parameterFormat` the kind of the first
 * placeholder decides, and the result tells the caller which `parameter_format` to submit.
 *
 * AUTHENTICATION templates follow Meta's fixed shape: a BODY without text (Meta writes it) and an
 * optional `add_security_recommendation`, an optional FOOTER with only `code_expiration_minutes`,
 * and one `{ type: 'OTP', otp_type: 'COPY_CODE' }` button. One-tap and zero-tap need an Android
 * app's signature, which this product has no use for, so they are refused.
 */
export function validateTemplateDefinition(input: TemplateDefinitionInput): { parameterFormat: ParameterFormat } {
  const problems = new InputProblems();
  const raw: unknown = input;
  if (!isPlainObject(raw)) {
    problems.add('input', `must be an object, not ${describeType(raw)}`);
    problems.throwIfAny();
  }
  const value = raw as Record<string, unknown>;
  if (typeof value.name !== 'string' || !NAME.test(value.name)) {
    problems.add('name', 'must be 1 to 512 lowercase letters, digits or underscores');
  }
  if (typeof value.language !== 'string' || !LANGUAGE.test(value.language)) {
    problems.add('language', 'must be a language code such as en, en_US or pt_BR');
  }
  if (!TEMPLATE_CATEGORIES.includes(value.category as TemplateCategory)) {
    problems.add('category', `must be one of ${TEMPLATE_CATEGORIES.join(', ')}`);
  }
  let declared: ParameterFormat | undefined;
  if (value.parameterFormat !== undefined && value.parameterFormat !== null) {
    if (PARAMETER_FORMATS.includes(value.parameterFormat as ParameterFormat)) declared = value.parameterFormat as ParameterFormat;
    else problems.add('parameterFormat', `must be one of ${PARAMETER_FORMATS.join(', ')}`);
  }

  const components = readList(problems, 'components', value.components, 1, COMPONENT_TYPES.length, 'component');
  const byType = new Map<ComponentType, { index: number; component: Record<string, unknown> }>();
  components.forEach((component, index) => {
    const field = `components[${index}]`;
    if (!isPlainObject(component)) {
      problems.add(field, `must be an object, not ${describeType(component)}`);
      return;
    }
    const type = component.type as ComponentType;
    if (!COMPONENT_TYPES.includes(type)) {
      problems.add(`${field}.type`, `must be one of ${COMPONENT_TYPES.join(', ')}`);
    } else if (byType.has(type)) {
      problems.add(`${field}.type`, `repeats ${type}: a template has at most one`);
    } else {
      byType.set(type, { index, component });
    }
  });
  if (Array.isArray(value.components) && value.components.length <= COMPONENT_TYPES.length && !byType.has('BODY')) {
    problems.add('components', 'must include a BODY component');
  }

  const context: DefinitionContext = {
    problems,
    format: declared ?? firstPlaceholderKind(byType) ?? 'POSITIONAL',
    authentication: value.category === 'AUTHENTICATION',
  };
  for (const [type, { index, component }] of byType) {
    const field = `components[${index}]`;
    if (type === 'HEADER') checkHeader(context, field, component);
    else if (type === 'BODY') checkBody(context, field, component);
    else if (type === 'FOOTER') checkFooter(context, field, component);
    else checkButtons(context, field, component);
  }
  if (context.authentication && !byType.has('BUTTONS')) {
    problems.add('components', 'must include a BUTTONS component with the OTP button for an AUTHENTICATION template');
  }
  problems.throwIfAny();
  return { parameterFormat: context.format };
}

function firstPlaceholderKind(byType: Map<ComponentType, { component: Record<string, unknown> }>): ParameterFormat | undefined {
  for (const type of ['HEADER', 'BODY'] as const) {
    const text = byType.get(type)?.component.text;
    if (typeof text !== 'string' || text.length > TEMPLATE_LIMITS.bodyText * 2) continue;
    const first = parsePlaceholders(text).placeholders[0];
    if (first) return first.kind === 'named' ? 'NAMED' : 'POSITIONAL';
  }
  return undefined;
}

function checkKeys(problems: InputProblems, field: string, object: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) problems.add(`${field}.${key}`, 'is not a known property here');
  }
}

/** Checks the placeholders of a header or body text; returns its parameters, or null when they are unusable. */
function checkPlaceholders(context: DefinitionContext, field: string, text: string): string[] | null {
  const { problems, format } = context;
  const { placeholders, invalid } = parsePlaceholders(text);
  for (const raw of invalid) {
    problems.add(field, `has "${raw}", which is not a placeholder: write {{1}}, {{2}}… or {{lowercase_name}}`);
  }
  const wanted = format === 'NAMED' ? 'named' : 'positional';
  const wrongKind = placeholders.filter((p) => p.kind !== wanted);
  for (const p of wrongKind) {
    problems.add(field, `has ${p.raw}, but this template's placeholders are ${wanted}: one kind per template`);
  }
  if (invalid.length > 0 || wrongKind.length > 0) return null;
  const names = parameterNames(placeholders);
  if (format === 'POSITIONAL') {
    // Only positional placeholders are left, and `{{n}}` never has leading zeros.
    const used = new Set(placeholders.map((p) => p.raw.slice(2, -2)));
    const missing = names.filter((name) => !used.has(name));
    if (missing.length > 0) {
      problems.add(field, `must number its placeholders from {{1}} without gaps: ${missing.map((n) => `{{${n}}}`).join(', ')} missing`);
      return null;
    }
  }
  return names;
}

/** The `example` object of a header or body: must hold exactly `key`. */
function exampleValue(context: DefinitionContext, field: string, component: Record<string, unknown>, key: string): unknown {
  const { problems } = context;
  const example = component.example;
  if (example === undefined || example === null) {
    problems.add(`${field}.example`, `is required: give example.${key} with a sample value for each placeholder`);
    return undefined;
  }
  if (!isPlainObject(example)) {
    problems.add(`${field}.example`, `must be an object with ${key}, not ${describeType(example)}`);
    return undefined;
  }
  checkKeys(problems, `${field}.example`, example, [key]);
  if (example[key] === undefined) problems.add(`${field}.example.${key}`, 'is required');
  return example[key];
}

function refuseExample(context: DefinitionContext, field: string, component: Record<string, unknown>, why: string): void {
  if (component.example !== undefined && component.example !== null) context.problems.add(`${field}.example`, why);
}

/** Positional samples: a list of exactly `count` strings. */
function checkSampleList(
  context: DefinitionContext,
  field: string,
  samples: unknown,
  count: number,
  max: number = TEMPLATE_LIMITS.exampleValue,
): void {
  const { problems } = context;
  if (samples === undefined) return;
  if (!Array.isArray(samples)) {
    problems.add(field, `must be a list of ${count} sample value(s), not ${describeType(samples)}`);
    return;
  }
  if (samples.length !== count) {
    problems.add(field, `must have exactly ${count} sample value(s), one per placeholder (got ${samples.length})`);
    return;
  }
  samples.forEach((sample, i) => checkText(problems, `${field}[${i}]`, sample, { max }));
}

/** Named samples: `[{ param_name, example }]`, one per name, no more. */
function checkNamedSamples(context: DefinitionContext, field: string, samples: unknown, names: string[]): void {
  const { problems } = context;
  if (samples === undefined) return;
  if (!Array.isArray(samples)) {
    problems.add(field, `must be a list of { param_name, example }, not ${describeType(samples)}`);
    return;
  }
  if (samples.length > names.length) {
    problems.add(field, `must have exactly ${names.length} sample(s), one per placeholder (got ${samples.length})`);
    return;
  }
  const covered = new Set<string>();
  samples.forEach((sample, i) => {
    const sampleField = `${field}[${i}]`;
    if (!isPlainObject(sample)) {
      problems.add(sampleField, `must be an object { param_name, example }, not ${describeType(sample)}`);
      return;
    }
    checkKeys(problems, sampleField, sample, ['param_name', 'example']);
    const name = sample.param_name;
    if (typeof name !== 'string' || !names.includes(name)) {
      problems.add(`${sampleField}.param_name`, `must name one of the placeholders: ${names.join(', ')}`);
    } else if (covered.has(name)) {
      problems.add(`${sampleField}.param_name`, `repeats ${name}`);
    } else {
      covered.add(name);
    }
    checkText(problems, `${sampleField}.example`, sample.example, { max: TEMPLATE_LIMITS.exampleValue });
  });
  const uncovered = names.filter((name) => !covered.has(name));
  if (uncovered.length > 0) problems.add(field, `has no sample for ${uncovered.map((n) => `{{${n}}}`).join(', ')}`);
}

function checkHeader(context: DefinitionContext, field: string, header: Record<string, unknown>): void {
  const { problems } = context;
  if (context.authentication) {
    problems.add(field, 'is not allowed: AUTHENTICATION templates have no header');
    return;
  }
  checkKeys(problems, field, header, ['type', 'format', 'text', 'example']);
  const format = header.format;
  if (!HEADER_FORMATS.includes(format as (typeof HEADER_FORMATS)[number])) {
    problems.add(`${field}.format`, `must be one of ${HEADER_FORMATS.join(', ')}`);
    return;
  }
  if (format !== 'TEXT') {
    if (header.text !== undefined && header.text !== null) problems.add(`${field}.text`, `is only for TEXT headers, not ${format}`);
    if (format === 'LOCATION') {
      refuseExample(context, field, header, 'is not used by LOCATION headers: the location is given at send time');
      return;
    }
    // Meta reviews a media header against a sample file uploaded with the resumable upload API.
    const handles = exampleValue(context, field, header, 'header_handle');
    checkSampleList(context, `${field}.example.header_handle`, handles, 1);
    return;
  }
  const text = checkText(problems, `${field}.text`, header.text, { max: TEMPLATE_LIMITS.headerText });
  if (text === undefined) return;
  const names = checkPlaceholders(context, `${field}.text`, text);
  if (names === null) return;
  const count = parsePlaceholders(text).placeholders.length;
  if (count > TEMPLATE_LIMITS.headerPlaceholders) {
    problems.add(`${field}.text`, `may hold at most ${TEMPLATE_LIMITS.headerPlaceholders} placeholder (got ${count})`);
    return;
  }
  if (names.length === 0) {
    refuseExample(context, field, header, 'is only for a header with a placeholder');
  } else if (context.format === 'NAMED') {
    const samples = exampleValue(context, field, header, 'header_text_named_params');
    checkNamedSamples(context, `${field}.example.header_text_named_params`, samples, names);
  } else {
    const samples = exampleValue(context, field, header, 'header_text');
    checkSampleList(context, `${field}.example.header_text`, samples, names.length);
  }
}

function checkBody(context: DefinitionContext, field: string, body: Record<string, unknown>): void {
  const { problems } = context;
  if (context.authentication) {
    checkKeys(problems, field, body, ['type', 'add_security_recommendation']);
    const flag = body.add_security_recommendation;
    if (flag !== undefined && typeof flag !== 'boolean') {
      problems.add(`${field}.add_security_recommendation`, `must be a boolean, not ${describeType(flag)}`);
    }
    return;
  }
  checkKeys(problems, field, body, ['type', 'text', 'example']);
  const text = checkText(problems, `${field}.text`, body.text, { max: TEMPLATE_LIMITS.bodyText });
  if (text === undefined) return;
  const names = checkPlaceholders(context, `${field}.text`, text);
  if (names === null) return;
  if (names.length === 0) {
    refuseExample(context, field, body, 'is only for a body with placeholders');
  } else if (context.format === 'NAMED') {
    const samples = exampleValue(context, field, body, 'body_text_named_params');
    checkNamedSamples(context, `${field}.example.body_text_named_params`, samples, names);
  } else {
    // Meta's shape is a list of sample rows; it reviews the first, so exactly one is accepted.
    const rows = exampleValue(context, field, body, 'body_text');
    if (rows === undefined) return;
    if (!Array.isArray(rows) || rows.length !== 1) {
      problems.add(`${field}.example.body_text`, `must be a list holding one list of ${names.length} sample value(s), as [["…"]]`);
      return;
    }
    checkSampleList(context, `${field}.example.body_text[0]`, rows[0], names.length);
  }
}

function checkFooter(context: DefinitionContext, field: string, footer: Record<string, unknown>): void {
  const { problems } = context;
  if (context.authentication) {
    checkKeys(problems, field, footer, ['type', 'code_expiration_minutes']);
    const minutes = footer.code_expiration_minutes;
    const { codeExpirationMinutesMin: min, codeExpirationMinutesMax: max } = TEMPLATE_LIMITS;
    if (minutes !== undefined && (!Number.isInteger(minutes) || (minutes as number) < min || (minutes as number) > max)) {
      problems.add(`${field}.code_expiration_minutes`, `must be a whole number from ${min} to ${max}`);
    }
    return;
  }
  checkKeys(problems, field, footer, ['type', 'text']);
  const text = checkText(problems, `${field}.text`, footer.text, { max: TEMPLATE_LIMITS.footerText });
  if (text !== undefined) refusePlaceholders(problems, `${field}.text`, text);
}

function refusePlaceholders(problems: InputProblems, field: string, text: string): void {
  if (text.includes('{{') || text.includes('}}')) problems.add(field, 'must not contain placeholders');
}

function checkButtons(context: DefinitionContext, field: string, component: Record<string, unknown>): void {
  const { problems } = context;
  const L = TEMPLATE_LIMITS;
  checkKeys(problems, field, component, ['type', 'buttons']);
  const buttons = readList(problems, `${field}.buttons`, component.buttons, L.buttonsMin, L.buttonsMax, 'button');
  const counts = new Map<ButtonType, number>();
  let quickReplyRun = 0;
  let previousType: unknown;
  buttons.forEach((button, index) => {
    const buttonField = `${field}.buttons[${index}]`;
    if (!isPlainObject(button)) {
      problems.add(buttonField, `must be an object, not ${describeType(button)}`);
      return;
    }
    const type = button.type as ButtonType;
    if (!BUTTON_TYPES.includes(type)) {
      problems.add(`${buttonField}.type`, `must be one of ${BUTTON_TYPES.join(', ')}`);
      return;
    }
    counts.set(type, (counts.get(type) ?? 0) + 1);
    // WhatsApp renders quick replies as one group: Meta refuses them interleaved with other buttons.
    if (type === 'QUICK_REPLY' && previousType !== 'QUICK_REPLY') quickReplyRun += 1;
    previousType = type;
    if ((type === 'OTP') !== context.authentication) {
      problems.add(
        `${buttonField}.type`,
        context.authentication ? 'must be OTP in an AUTHENTICATION template' : 'OTP buttons are only for AUTHENTICATION templates',
      );
      return;
    }
    checkKeys(problems, buttonField, button, BUTTON_KEYS[type]);
    checkButton(context, buttonField, type, button);
  });
  if (quickReplyRun > 1) problems.add(`${field}.buttons`, 'must keep all QUICK_REPLY buttons together, before or after the others');
  const most: [ButtonType, number][] = [
    ['URL', L.urlButtonsMax],
    ['PHONE_NUMBER', L.phoneNumberButtonsMax],
    ['COPY_CODE', L.copyCodeButtonsMax],
    ['OTP', 1],
  ];
  for (const [type, max] of most) {
    const count = counts.get(type) ?? 0;
    if (count > max) problems.add(`${field}.buttons`, `may have at most ${max} ${type} button(s) (got ${count})`);
  }
}

function checkButton(context: DefinitionContext, field: string, type: ButtonType, button: Record<string, unknown>): void {
  const { problems } = context;
  const L = TEMPLATE_LIMITS;
  if (type === 'COPY_CODE') {
    checkText(problems, `${field}.example`, button.example, { max: L.copyCode });
    return;
  }
  if (type === 'OTP') {
    if (button.otp_type !== 'COPY_CODE') problems.add(`${field}.otp_type`, 'must be COPY_CODE');
  }
  const text = checkText(problems, `${field}.text`, button.text, { max: L.buttonText, optional: type === 'OTP' });
  if (text !== undefined) refusePlaceholders(problems, `${field}.text`, text);
  if (type === 'PHONE_NUMBER') {
    const phone = checkText(problems, `${field}.phone_number`, button.phone_number, { max: L.phoneNumber });
    if (phone !== undefined && normalizeWhatsAppNumber(phone) === null) {
      problems.add(`${field}.phone_number`, 'must be a phone number with its country code, such as +15550051310');
    }
  }
  if (type === 'URL') checkUrlButton(context, field, button);
}

function checkUrlButton(context: DefinitionContext, field: string, button: Record<string, unknown>): void {
  const { problems } = context;
  const url = checkText(problems, `${field}.url`, button.url, { max: TEMPLATE_LIMITS.url });
  if (url === undefined) return;
  const { placeholders, invalid } = parsePlaceholders(url);
  // Meta allows one variable, `{{1}}` in both parameter formats, appended to the end of the URL.
  const dynamic = placeholders.length === 1 && invalid.length === 0 && url.endsWith('{{1}}');
  if (!dynamic && (placeholders.length > 0 || invalid.length > 0)) {
    problems.add(`${field}.url`, 'may hold one placeholder, {{1}}, only at its very end');
    return;
  }
  if (!isWebUrl(dynamic ? url.slice(0, -'{{1}}'.length) + 'x' : url)) {
    problems.add(`${field}.url`, 'must be an http:// or https:// URL');
  }
  if (!dynamic) {
    refuseExample(context, field, button, 'is only for a URL with the {{1}} placeholder');
    return;
  }
  if (button.example === undefined || button.example === null) {
    problems.add(`${field}.example`, 'is required: give [sample value] for the {{1}} in the URL');
    return;
  }
  checkSampleList(context, `${field}.example`, button.example, 1, TEMPLATE_LIMITS.url);
}

/** Buttons open in the customer's browser, which may load plain http. */
function isWebUrl(value: string): boolean {
  return isHttpsUrl(value.replace(/^http:\/\//i, 'https://'));
}

// ---------------------------------------------------------------------------------------------
// Parameters of an approved template (sendTemplate)

export type TemplateHeaderKind = 'text' | 'image' | 'video' | 'document' | 'location';

export interface TemplateButtonSpec {
  /** Position in the template's BUTTONS component, which Meta calls `index`. */
  index: number;
  subType: 'quick_reply' | 'url' | 'copy_code';
  /**
   * Required values: 1 for a URL button with `{{1}}` and for a copy-code button. A quick reply
   * takes none but accepts an optional payload, returned to us when the customer taps it (Meta
   * returns the button's text without one).
   */
  params: number;
}

export interface TemplateParameterSpec {
  parameterFormat: ParameterFormat;
  /** `kind` null: no header. A text header takes `params` (0 or 1); a media or location header always takes one value. */
  header: { kind: TemplateHeaderKind | null; params: string[] };
  /** '1', '2'… for positional placeholders, names for named ones, in send order. */
  body: string[];
  /** Only buttons that accept a value; phone-number and static URL buttons take none. */
  buttons: TemplateButtonSpec[];
}

const upper = (value: unknown): string => (typeof value === 'string' ? value.toUpperCase() : '');
const textOf = (component: Record<string, unknown>): string => (typeof component.text === 'string' ? component.text : '');

/**
 * The parameters an approved template takes, read from its components as Meta stores them.
 * Lenient, since the components come from Meta rather than from a user: what it cannot read takes
 * no parameter.
 */
export function templateParameterSpec(components: unknown): TemplateParameterSpec {
  const spec: TemplateParameterSpec = { parameterFormat: 'POSITIONAL', header: { kind: null, params: [] }, body: [], buttons: [] };
  const list = Array.isArray(components) ? components.filter(isPlainObject) : [];
  for (const component of list) {
    const type = upper(component.type);
    if (type === 'HEADER') {
      const format = upper(component.format ?? 'TEXT');
      const known = HEADER_FORMATS.includes(format as (typeof HEADER_FORMATS)[number]);
      const kind = known ? (format.toLowerCase() as TemplateHeaderKind) : null;
      const placeholders = kind === 'text' ? parsePlaceholders(textOf(component)).placeholders : [];
      spec.header = { kind, params: parameterNames(placeholders) };
      if (placeholders[0]?.kind === 'named') spec.parameterFormat = 'NAMED';
    } else if (type === 'BODY') {
      // An authentication body is stored without text when read back from our own submission;
      // Meta's text for it is "{{1}} is your verification code."
      const placeholders = typeof component.text === 'string' ? parsePlaceholders(component.text).placeholders : null;
      spec.body = placeholders ? parameterNames(placeholders) : ['1'];
      if (placeholders?.[0]?.kind === 'named') spec.parameterFormat = 'NAMED';
    } else if (type === 'BUTTONS' && Array.isArray(component.buttons)) {
      component.buttons.forEach((button: unknown, index: number) => {
        if (!isPlainObject(button)) return;
        const buttonType = upper(button.type);
        if (buttonType === 'QUICK_REPLY') spec.buttons.push({ index, subType: 'quick_reply', params: 0 });
        if (buttonType === 'COPY_CODE') spec.buttons.push({ index, subType: 'copy_code', params: 1 });
        // An authentication copy-code button is sent as a URL button carrying the code.
        if (buttonType === 'OTP') spec.buttons.push({ index, subType: 'url', params: 1 });
        if (buttonType === 'URL' && typeof button.url === 'string' && button.url.includes('{{')) {
          spec.buttons.push({ index, subType: 'url', params: 1 });
        }
      });
    }
  }
  return spec;
}

export type TemplateMediaRef = { link: string } | { id: string };

export type TemplateSendParameter =
  | { type: 'text'; text: string; parameter_name?: string }
  | { type: 'image'; image: TemplateMediaRef }
  | { type: 'video'; video: TemplateMediaRef }
  | { type: 'document'; document: TemplateMediaRef & { filename?: string } }
  | { type: 'location'; location: { latitude: number; longitude: number; name?: string; address?: string } }
  | { type: 'payload'; payload: string }
  | { type: 'coupon_code'; coupon_code: string };

export type TemplateSendComponent =
  | { type: 'header' | 'body'; parameters: TemplateSendParameter[] }
  | { type: 'button'; sub_type: TemplateButtonSpec['subType']; index: string; parameters: TemplateSendParameter[] };

export interface TemplateParametersInput {
  /**
   * A string for a text header; `{ link } | { id }` (plus `filename` for a document) for media;
   * `{ latitude, longitude, name?, address? }` for a location.
   */
  header?: unknown;
  /** Positional: a list in placeholder order. Named: an object keyed by placeholder name. */
  body?: unknown;
  /** A list indexed like the template's buttons; `null` for a button that takes nothing. */
  buttons?: unknown;
}

/**
 * The `template.components` of a send request, built from the caller's parameters against what
 * the approved template takes. Refuses missing, extra, blank or non-string values with one
 * BAD_USER_INPUT naming each (`parameters.body[1]`, `parameters.body.first_name`), since Meta
 * would fail the send later with 132000 or 132018.
 */
export function buildTemplateComponents(
  spec: TemplateParameterSpec,
  parameters: TemplateParametersInput | null | undefined,
): TemplateSendComponent[] {
  const problems = new InputProblems();
  const input: unknown = parameters ?? {};
  const components: TemplateSendComponent[] = [];
  if (!isPlainObject(input)) {
    problems.add('parameters', `must be an object { header, body, buttons }, not ${describeType(input)}`);
    problems.throwIfAny();
  }
  const given = input as Record<string, unknown>;
  checkKeys(problems, 'parameters', given, ['header', 'body', 'buttons']);

  const header = headerParameter(problems, spec, given.header);
  if (header) components.push({ type: 'header', parameters: [header] });
  const body = bodyParameters(problems, spec, given.body);
  if (body.length > 0) components.push({ type: 'body', parameters: body });
  components.push(...buttonParameters(problems, spec, given.buttons));
  problems.throwIfAny();
  return components;
}

const absent = (value: unknown): value is undefined | null => value === undefined || value === null;

/** Text for a header or body placeholder. Meta refuses new lines, tabs and runs of more than 4 spaces (132018). */
function parameterText(problems: InputProblems, field: string, value: unknown, max: number): string | undefined {
  if (absent(value)) {
    problems.add(field, 'is missing');
    return undefined;
  }
  const text = checkText(problems, field, value, { max });
  if (text !== undefined && /[\n\r\t]| {5}/.test(text)) {
    problems.add(field, 'must not contain new lines, tabs or more than 4 spaces in a row');
    return undefined;
  }
  return text;
}

function textParameter(spec: TemplateParameterSpec, name: string, text: string): TemplateSendParameter {
  return spec.parameterFormat === 'NAMED' ? { type: 'text', parameter_name: name, text } : { type: 'text', text };
}

function headerParameter(problems: InputProblems, spec: TemplateParameterSpec, value: unknown): TemplateSendParameter | null {
  const field = 'parameters.header';
  const { kind, params } = spec.header;
  if (kind === null || (kind === 'text' && params.length === 0)) {
    if (!absent(value)) problems.add(field, 'is not used: the template has no header placeholder');
    return null;
  }
  if (kind === 'text') {
    const text = parameterText(problems, field, value, TEMPLATE_LIMITS.headerParameter);
    return text === undefined ? null : textParameter(spec, params[0]!, text);
  }
  if (absent(value)) {
    problems.add(field, `is missing: the template's header needs ${kind === 'location' ? 'a location' : `a ${kind}`}`);
    return null;
  }
  if (!isPlainObject(value)) {
    problems.add(field, `must be an object, not ${describeType(value)}`);
    return null;
  }
  if (kind === 'location') return locationParameter(problems, field, value);
  return mediaParameter(problems, field, kind, value);
}

function mediaParameter(
  problems: InputProblems,
  field: string,
  kind: Extract<MediaKind, 'image' | 'video' | 'document'>,
  value: Record<string, unknown>,
): TemplateSendParameter | null {
  checkKeys(problems, field, value, kind === 'document' ? ['link', 'id', 'filename'] : ['link', 'id']);
  if (absent(value.link) === absent(value.id)) {
    problems.add(absent(value.link) ? `${field}.link` : `${field}.id`, `exactly one of ${field}.link and ${field}.id is required`);
    return null;
  }
  let ref: TemplateMediaRef;
  if (!absent(value.link)) {
    const link = checkText(problems, `${field}.link`, value.link, { max: OUTBOUND_LIMITS.mediaLink });
    if (link === undefined) return null;
    if (!isHttpsUrl(link)) {
      problems.add(`${field}.link`, 'must be an https:// URL');
      return null;
    }
    ref = { link };
  } else {
    const id = checkText(problems, `${field}.id`, value.id, { max: OUTBOUND_LIMITS.mediaId });
    if (id === undefined) return null;
    ref = { id };
  }
  if (kind === 'document') {
    const filename = checkText(problems, `${field}.filename`, value.filename, { max: OUTBOUND_LIMITS.mediaFilename, optional: true });
    return { type: 'document', document: filename === undefined ? ref : { ...ref, filename } };
  }
  return kind === 'image' ? { type: 'image', image: ref } : { type: 'video', video: ref };
}

function locationParameter(problems: InputProblems, field: string, value: Record<string, unknown>): TemplateSendParameter | null {
  checkKeys(problems, field, value, ['latitude', 'longitude', 'name', 'address']);
  const coordinate = (key: 'latitude' | 'longitude', bound: number): number | undefined => {
    const n = value[key];
    if (typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= bound) return n;
    problems.add(`${field}.${key}`, `must be a number from -${bound} to ${bound}`);
    return undefined;
  };
  const latitude = coordinate('latitude', 90);
  const longitude = coordinate('longitude', 180);
  const name = checkText(problems, `${field}.name`, value.name, { max: 1000, optional: true });
  const address = checkText(problems, `${field}.address`, value.address, { max: 1000, optional: true });
  if (latitude === undefined || longitude === undefined) return null;
  return {
    type: 'location',
    location: { latitude, longitude, ...(name === undefined ? {} : { name }), ...(address === undefined ? {} : { address }) },
  };
}

function bodyParameters(problems: InputProblems, spec: TemplateParameterSpec, value: unknown): TemplateSendParameter[] {
  const field = 'parameters.body';
  const names = spec.body;
  const max = TEMPLATE_LIMITS.bodyParameter;
  if (names.length === 0) {
    const unused = 'is not used: the template body has no placeholders';
    if (Array.isArray(value)) value.forEach((_, i) => problems.add(`${field}[${i}]`, unused));
    else if (isPlainObject(value)) Object.keys(value).forEach((key) => problems.add(`${field}.${key}`, unused));
    else if (!absent(value)) problems.add(field, unused);
    return [];
  }
  if (spec.parameterFormat === 'POSITIONAL') {
    if (!Array.isArray(value)) {
      problems.add(
        field,
        absent(value)
          ? `is missing: the template body takes ${names.length} value(s)`
          : `must be a list of ${names.length} value(s) in placeholder order, not ${describeType(value)}`,
      );
      return [];
    }
    for (let i = names.length; i < value.length; i += 1) {
      problems.add(`${field}[${i}]`, `is one value too many: the template body takes ${names.length}`);
    }
    const result: TemplateSendParameter[] = [];
    names.forEach((name, i) => {
      const text = parameterText(problems, `${field}[${i}]`, value[i], max);
      if (text !== undefined) result.push(textParameter(spec, name, text));
    });
    return result;
  }
  if (!isPlainObject(value)) {
    problems.add(
      field,
      absent(value)
        ? `is missing: the template body takes ${names.join(', ')}`
        : `must be an object keyed by placeholder name (${names.join(', ')}), not ${describeType(value)}`,
    );
    return [];
  }
  for (const key of Object.keys(value)) {
    if (!names.includes(key)) problems.add(`${field}.${key}`, `is not used: the template body has no {{${key}}}`);
  }
  const result: TemplateSendParameter[] = [];
  for (const name of names) {
    // Own properties only, so `constructor` or `toString` are never read from the prototype.
    const text = parameterText(problems, `${field}.${name}`, Object.hasOwn(value, name) ? value[name] : undefined, max);
    if (text !== undefined) result.push(textParameter(spec, name, text));
  }
  return result;
}

function buttonParameters(problems: InputProblems, spec: TemplateParameterSpec, value: unknown): TemplateSendComponent[] {
  const field = 'parameters.buttons';
  if (!absent(value) && !Array.isArray(value)) {
    problems.add(field, `must be a list indexed like the template's buttons, not ${describeType(value)}`);
    return [];
  }
  const given = (value ?? []) as unknown[];
  const byIndex = new Map(spec.buttons.map((button) => [button.index, button]));
  given.forEach((item, i) => {
    if (!byIndex.has(i) && !absent(item)) problems.add(`${field}[${i}]`, `is not used: button ${i} takes no value`);
  });
  const components: TemplateSendComponent[] = [];
  for (const button of spec.buttons) {
    const itemField = `${field}[${button.index}]`;
    const item = given[button.index];
    if (button.subType === 'quick_reply') {
      if (absent(item)) continue;
      const payload = checkText(problems, itemField, item, { max: TEMPLATE_LIMITS.buttonPayload });
      if (payload !== undefined) components.push(buttonComponent(button, { type: 'payload', payload }));
      continue;
    }
    if (button.params === 0) continue;
    if (absent(item)) {
      const what = button.subType === 'url' ? 'the end of its URL' : 'a coupon code';
      problems.add(itemField, `is missing: button ${button.index} takes ${what}`);
      continue;
    }
    if (button.subType === 'url') {
      const text = checkText(problems, itemField, item, { max: TEMPLATE_LIMITS.url });
      if (text !== undefined) components.push(buttonComponent(button, { type: 'text', text }));
    } else {
      const code = checkText(problems, itemField, item, { max: TEMPLATE_LIMITS.copyCode });
      if (code !== undefined) components.push(buttonComponent(button, { type: 'coupon_code', coupon_code: code }));
    }
  }
  return components;
}

function buttonComponent(button: TemplateButtonSpec, parameter: TemplateSendParameter): TemplateSendComponent {
  return { type: 'button', sub_type: button.subType, index: String(button.index), parameters: [parameter] };
}
