import { AppError, ErrorCode } from '../../src/domain/errors';
import { MAX_REPORTED_PROBLEMS, type InputProblem } from '../../src/domain/outbound-limits';
import {
  buildTemplateComponents,
  parsePlaceholders,
  templateParameterSpec,
  validateTemplateDefinition,
  type TemplateDefinitionInput,
  type TemplateParameterSpec,
} from '../../src/domain/template-rules';

/** The problems a call reports as BAD_USER_INPUT (fails the test when the call succeeds). */
function problemsOf(call: () => unknown): InputProblem[] {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe(ErrorCode.BAD_USER_INPUT);
    const problems = appError.extensions.problems as InputProblem[];
    expect(appError.extensions.field).toBe(problems[0]!.field);
    return problems;
  }
  throw new Error('Expected the call to refuse its input');
}

const fieldsOf = (call: () => unknown) => problemsOf(call).map((p) => p.field);

// ---------------------------------------------------------------------------------------------
// Meta's component objects, as in its template-management examples.

const body = (text: string, example?: unknown) => ({ type: 'BODY', text, ...(example === undefined ? {} : { example }) });
const positionalBody = body('Hi {{1}}, order {{2}} is ready. Thanks, {{1}}!', { body_text: [['Ana', 'A-1']] });
const namedBody = body('Hi {{first_name}}, order {{order_id}} is ready.', {
  body_text_named_params: [
    { param_name: 'first_name', example: 'Ana' },
    { param_name: 'order_id', example: 'A-1' },
  ],
});
/** `example: null` leaves the example out. */
const textHeader = (text = 'Order {{1}}', example: unknown = { header_text: ['A-1'] }) => ({
  type: 'HEADER',
  format: 'TEXT',
  text,
  ...(example === null ? {} : { example }),
});
const footer = { type: 'FOOTER', text: 'Reply STOP to opt out' };
const quickReply = (text = 'Yes') => ({ type: 'QUICK_REPLY', text });
const urlButton = (url = 'https://shop.example.com/track?id={{1}}', example: unknown = ['A-1']) => ({
  type: 'URL',
  text: 'Track',
  url,
  ...(example === null ? {} : { example }),
});
const phoneButton = { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550051310' };
const copyCode = { type: 'COPY_CODE', example: '250FF' };
const buttonsOf = (...buttons: unknown[]) => ({ type: 'BUTTONS', buttons });

const template = (components: unknown, overrides: Partial<Record<keyof TemplateDefinitionInput, unknown>> = {}) =>
  ({ name: 'order_ready', language: 'en_US', category: 'UTILITY', components, ...overrides }) as TemplateDefinitionInput;

const validate = (components: unknown, overrides: Partial<Record<keyof TemplateDefinitionInput, unknown>> = {}) =>
  validateTemplateDefinition(template(components, overrides));

const problemsOfTemplate = (components: unknown, overrides: Partial<Record<keyof TemplateDefinitionInput, unknown>> = {}) =>
  problemsOf(() => validate(components, overrides));

const fieldsOfTemplate = (components: unknown, overrides: Partial<Record<keyof TemplateDefinitionInput, unknown>> = {}) =>
  problemsOfTemplate(components, overrides).map((p) => p.field);

const authentication = (components: unknown) => template(components, { category: 'AUTHENTICATION', name: 'login_code' });
const authBody = { type: 'BODY', add_security_recommendation: true };
const otpButton = { type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' };

describe('parsePlaceholders', () => {
  it('reads positional and named placeholders with their raw text', () => {
    expect(parsePlaceholders('{{1}} and {{first_name}}')).toEqual({
      placeholders: [
        { raw: '{{1}}', kind: 'positional', index: 1 },
        { raw: '{{first_name}}', kind: 'named', name: 'first_name' },
      ],
      invalid: [],
    });
  });

  it.each([
    ['{{0}}', '{{0}}'],
    ['{{ 1 }}', '{{ 1 }}'],
    ['{{01}}', '{{01}}'],
    ['{{1000}}', '{{1000}}'],
    ['{{-1}}', '{{-1}}'],
    ['{{1.5}}', '{{1.5}}'],
    ['{{First}}', '{{First}}'],
    ['{{__proto__}}', '{{__proto__}}'],
    ['{{_x}}', '{{_x}}'],
    ['{{}}', '{{}}'],
    ['{{{1}}}', '{{{1}}'],
    ['open {{1 forever', '{{1 forever'],
    ['close }} only', '}}'],
  ])('treats %j as invalid', (text, raw) => {
    expect(parsePlaceholders(text).invalid).toContain(raw);
  });

  it('shortens a long invalid placeholder in what it reports', () => {
    expect(parsePlaceholders(`{{ ${'x'.repeat(100)} }}`).invalid).toEqual([`{{ ${'x'.repeat(37)}…`]);
  });

  it('leaves single braces alone', () => {
    expect(parsePlaceholders('{"a": {1}}')).toEqual({ placeholders: [], invalid: ['}}'] });
    expect(parsePlaceholders('a {b} c')).toEqual({ placeholders: [], invalid: [] });
  });

  it('scans a megabyte of braces in linear time without throwing', () => {
    const parsed = parsePlaceholders('{{'.repeat(500_000));
    expect(parsed.placeholders).toEqual([]);
    expect(parsed.invalid).toHaveLength(1);
  });
});

describe('validateTemplateDefinition', () => {
  describe('accepts', () => {
    it('a positional template with every component, repeated placeholders included', () => {
      const components = [textHeader(), positionalBody, footer, buttonsOf(quickReply('Yes'), quickReply('No'), urlButton(), phoneButton)];
      expect(validate(components)).toEqual({ parameterFormat: 'POSITIONAL' });
    });

    it('a named template, inferring NAMED from its placeholders', () => {
      const header = textHeader('Hello {{first_name}}', { header_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] });
      expect(validate([header, namedBody])).toEqual({ parameterFormat: 'NAMED' });
      expect(validate([namedBody], { parameterFormat: 'NAMED' })).toEqual({ parameterFormat: 'NAMED' });
    });

    it('a template without placeholders, as POSITIONAL unless told otherwise', () => {
      expect(validate([body('Your order is ready.')])).toEqual({ parameterFormat: 'POSITIONAL' });
      expect(validate([body('Your order is ready.')], { parameterFormat: 'NAMED' })).toEqual({ parameterFormat: 'NAMED' });
    });

    it('media headers with a sample handle and a location header without one', () => {
      for (const format of ['IMAGE', 'VIDEO', 'DOCUMENT']) {
        expect(() => validate([{ type: 'HEADER', format, example: { header_handle: ['4::aW1hZ2U='] } }, body('See above.')])).not.toThrow();
      }
      expect(() => validate([{ type: 'HEADER', format: 'LOCATION' }, body('We are here.')])).not.toThrow();
    });

    it('components in any order, URL and copy-code buttons at their limits', () => {
      const buttons = buttonsOf(urlButton(), urlButton('https://example.com/static', null), copyCode, quickReply('A'), quickReply('B'));
      expect(() => validate([buttons, footer, body('Deals inside.')], { category: 'MARKETING' })).not.toThrow();
    });

    it('every length at its limit', () => {
      const components = [
        textHeader(`${'h'.repeat(55)}{{1}}`),
        body(`${'b'.repeat(1019)}{{1}}`, { body_text: [['x']] }),
        { type: 'FOOTER', text: 'f'.repeat(60) },
        buttonsOf(...Array.from({ length: 10 }, (_, i) => quickReply(`${i}`.padEnd(25, 'q')))),
      ];
      expect(() => validate(components, { name: 'n'.repeat(512) })).not.toThrow();
    });
  });

  describe('name, language, category and parameterFormat', () => {
    it.each(['a', 'order_update_2', 'x'.repeat(512)])('accepts the name %j', (name) => {
      expect(() => validate([body('Hi')], { name })).not.toThrow();
    });

    it.each(['', 'Order', 'order-update', 'order update', 'ordér', 'x'.repeat(513), 42, null, ['order']])('refuses the name %j', (name) => {
      expect(fieldsOfTemplate([body('Hi')], { name })).toEqual(['name']);
    });

    it.each(['en', 'en_US', 'pt_BR', 'fil'])('accepts the language %j', (language) => {
      expect(() => validate([body('Hi')], { language })).not.toThrow();
    });

    it.each(['EN', 'en-US', 'en_us', 'english', '', 'en_USA', 'e', null, 7])('refuses the language %j', (language) => {
      expect(fieldsOfTemplate([body('Hi')], { language })).toEqual(['language']);
    });

    it.each(['marketing', 'PROMOTION', '', null, 0])('refuses the category %j', (category) => {
      expect(fieldsOfTemplate([body('Hi')], { category })).toEqual(['category']);
    });

    it.each(['positional', 'BOTH', 1])('refuses the parameterFormat %j', (parameterFormat) => {
      expect(fieldsOfTemplate([body('Hi')], { parameterFormat })).toEqual(['parameterFormat']);
    });

    it('reports every problem at once, the first as `field`', () => {
      const problems = problemsOfTemplate('nope', { name: 'Bad Name', language: 'xx-YY', category: 'SPAM' });
      expect(problems.map((p) => p.field)).toEqual(['name', 'language', 'category', 'components']);
    });

    it.each([null, 'template', ['a'], 42])('refuses %j as the whole input', (input) => {
      expect(fieldsOf(() => validateTemplateDefinition(input as unknown as TemplateDefinitionInput))).toEqual(['input']);
    });
  });

  describe('components', () => {
    it.each([undefined, null, 'BODY', { type: 'BODY', text: 'Hi' }])('refuses %j instead of a list', (components) => {
      expect(fieldsOfTemplate(components)).toEqual(['components']);
    });

    it('refuses an empty list and a list without BODY', () => {
      expect(problemsOfTemplate([])).toEqual([
        { field: 'components', message: 'must have at least 1 component' },
        { field: 'components', message: 'must include a BODY component' },
      ]);
      expect(problemsOfTemplate([footer])).toEqual([{ field: 'components', message: 'must include a BODY component' }]);
    });

    it('refuses 10,000 components, checking no more than 4 of them', () => {
      const problems = problemsOfTemplate(Array.from({ length: 10_000 }, () => body('Hi')));
      expect(problems[0]).toEqual({ field: 'components', message: 'must have at most 4 components (got 10000)' });
      expect(problems.map((p) => p.field)).toEqual(['components', 'components[1].type', 'components[2].type', 'components[3].type']);
    });

    it('refuses components that are not objects, of unknown type, or repeated', () => {
      expect(fieldsOfTemplate([null, ['BODY'], body('Hi')])).toEqual(['components[0]', 'components[1]']);
      expect(fieldsOfTemplate([{ type: 'CAROUSEL' }, body('Hi')])).toEqual(['components[0].type']);
      expect(fieldsOfTemplate([{ type: 'body', text: 'Hi' }])).toEqual(['components[0].type', 'components']);
      expect(problemsOfTemplate([body('Hi'), body('Again')])).toEqual([
        { field: 'components[1].type', message: 'repeats BODY: a template has at most one' },
      ]);
    });

    it('refuses properties Meta does not know rather than forwarding them, __proto__ included', () => {
      const components = JSON.parse('[{"type":"BODY","text":"Hi","__proto__":{"admin":true},"style":"bold"}]');
      expect(fieldsOfTemplate(components)).toEqual(['components[0].__proto__', 'components[0].style']);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('body', () => {
    it('refuses a missing, blank, non-string or over-1024-character text', () => {
      expect(fieldsOfTemplate([{ type: 'BODY' }])).toEqual(['components[0].text']);
      expect(fieldsOfTemplate([body('  ')])).toEqual(['components[0].text']);
      expect(fieldsOfTemplate([{ type: 'BODY', text: ['Hi'] }])).toEqual(['components[0].text']);
      expect(problemsOfTemplate([body('b'.repeat(1025))])).toEqual([
        { field: 'components[0].text', message: 'must be at most 1024 characters' },
      ]);
    });

    it('refuses a ten-megabyte text by its length, without parsing it', () => {
      expect(fieldsOfTemplate([body(`{{${'{{1}}'.repeat(2_000_000)}`)])).toEqual(['components[0].text']);
    });

    it.each(['{{0}}', '{{ 1 }}', '{{01}}', '{{1}', 'a }} b', '{{First}}', '{{__proto__}}', '{{first-name}}', '{{1.0}}'])(
      'refuses the placeholder in %j',
      (text) => {
        const [problem] = problemsOfTemplate([body(`Hi ${text} there`)]);
        expect(problem).toMatchObject({ field: 'components[0].text', message: expect.stringContaining('not a placeholder') });
      },
    );

    it('refuses positional placeholders with a gap, naming the missing numbers', () => {
      expect(problemsOfTemplate([body('{{1}}{{3}}', { body_text: [['a', 'b', 'c']] })])).toEqual([
        { field: 'components[0].text', message: 'must number its placeholders from {{1}} without gaps: {{2}} missing' },
      ]);
      expect(problemsOfTemplate([body('Hi {{2}}')])[0]!.message).toContain('{{1}} missing');
    });

    it('refuses positional and named placeholders mixed in one text or across header and body', () => {
      expect(fieldsOfTemplate([body('{{1}} {{name}}', { body_text: [['a']] })])).toEqual(['components[0].text']);
      const header = textHeader('Hi {{name}}', { header_text_named_params: [{ param_name: 'name', example: 'Ana' }] });
      expect(problemsOfTemplate([header, positionalBody])).toEqual([
        { field: 'components[1].text', message: "has {{1}}, but this template's placeholders are named: one kind per template" },
        { field: 'components[1].text', message: "has {{2}}, but this template's placeholders are named: one kind per template" },
        { field: 'components[1].text', message: "has {{1}}, but this template's placeholders are named: one kind per template" },
      ]);
    });

    it('refuses placeholders of the kind parameterFormat does not declare', () => {
      expect(fieldsOfTemplate([namedBody], { parameterFormat: 'POSITIONAL' })).toEqual(['components[0].text', 'components[0].text']);
      expect(fieldsOfTemplate([positionalBody], { parameterFormat: 'NAMED' })[0]).toBe('components[0].text');
    });

    it('refuses placeholders without examples', () => {
      expect(problemsOfTemplate([body('Hi {{1}}')])).toEqual([
        { field: 'components[0].example', message: 'is required: give example.body_text with a sample value for each placeholder' },
      ]);
      expect(fieldsOfTemplate([body('Hi {{name}}')])).toEqual(['components[0].example']);
      expect(fieldsOfTemplate([body('Hi {{1}}', {})])).toEqual(['components[0].example.body_text']);
      expect(fieldsOfTemplate([body('Hi {{1}}', ['Ana'])])).toEqual(['components[0].example']);
    });

    it('refuses positional examples of the wrong shape or count', () => {
      expect(fieldsOfTemplate([body('Hi {{1}}', { body_text: ['Ana'] })])).toEqual(['components[0].example.body_text[0]']);
      expect(fieldsOfTemplate([body('Hi {{1}}', { body_text: [['Ana'], ['Bia']] })])).toEqual(['components[0].example.body_text']);
      expect(fieldsOfTemplate([body('Hi {{1}}', { body_text: 'Ana' })])).toEqual(['components[0].example.body_text']);
      expect(problemsOfTemplate([body('Hi {{1}} {{2}}', { body_text: [['Ana']] })])).toEqual([
        {
          field: 'components[0].example.body_text[0]',
          message: 'must have exactly 2 sample value(s), one per placeholder (got 1)',
        },
      ]);
      expect(fieldsOfTemplate([body('Hi {{1}}', { body_text: [['Ana', 'extra']] })])).toEqual(['components[0].example.body_text[0]']);
    });

    it('counts a repeated placeholder once when matching examples', () => {
      expect(() => validate([body('{{1}}, {{1}} and {{1}}', { body_text: [['Ana']] })])).not.toThrow();
    });

    it('refuses blank or non-string example values, naming each', () => {
      expect(fieldsOfTemplate([body('{{1}} {{2}}', { body_text: [[' ', 7]] })])).toEqual([
        'components[0].example.body_text[0][0]',
        'components[0].example.body_text[0][1]',
      ]);
    });

    it('refuses an example for a text without placeholders and unknown example keys', () => {
      expect(problemsOfTemplate([body('Hi', { body_text: [[]] })])).toEqual([
        { field: 'components[0].example', message: 'is only for a body with placeholders' },
      ]);
      expect(fieldsOfTemplate([body('Hi {{1}}', { body_text: [['Ana']], header_text: ['x'] })])).toEqual([
        'components[0].example.header_text',
      ]);
    });

    it('refuses named examples that miss, repeat or invent a name, or come in the positional shape', () => {
      const named = (params: unknown) => [body('Hi {{first_name}} {{city}}', { body_text_named_params: params })];
      expect(problemsOfTemplate(named([{ param_name: 'first_name', example: 'Ana' }]))).toEqual([
        { field: 'components[0].example.body_text_named_params', message: 'has no sample for {{city}}' },
      ]);
      expect(fieldsOfTemplate(named([{ param_name: 'first_name', example: 'Ana' }, { param_name: 'first_name', example: 'Bia' }]))).toEqual([
        'components[0].example.body_text_named_params[1].param_name',
        'components[0].example.body_text_named_params',
      ]);
      expect(fieldsOfTemplate(named([{ param_name: 'first_name', example: 'Ana' }, { param_name: 'town', example: 'Rio' }]))).toEqual([
        'components[0].example.body_text_named_params[1].param_name',
        'components[0].example.body_text_named_params',
      ]);
      expect(fieldsOfTemplate(named([{ param_name: 'first_name', example: 'A' }, { param_name: 'city', example: 'R' }, {}]))).toEqual([
        'components[0].example.body_text_named_params',
      ]);
      expect(fieldsOfTemplate(named(['Ana', { param_name: 'city', example: '', extra: 1 }]))).toEqual([
        'components[0].example.body_text_named_params[0]',
        'components[0].example.body_text_named_params[1].extra',
        'components[0].example.body_text_named_params[1].example',
        'components[0].example.body_text_named_params',
      ]);
      expect(fieldsOfTemplate(named({ first_name: 'Ana' }))).toEqual(['components[0].example.body_text_named_params']);
      expect(fieldsOfTemplate([body('Hi {{first_name}}', { body_text: [['Ana']] })])).toEqual([
        'components[0].example.body_text',
        'components[0].example.body_text_named_params',
      ]);
    });

    it('accepts `constructor` as a placeholder name like any other', () => {
      expect(() => validate([body('Hi {{constructor}}', { body_text_named_params: [{ param_name: 'constructor', example: 'x' }] })])).not.toThrow();
    });
  });

  describe('header', () => {
    it('refuses a missing or unknown format', () => {
      expect(fieldsOfTemplate([{ type: 'HEADER', text: 'Hi' }, body('Hi')])).toEqual(['components[0].format']);
      expect(fieldsOfTemplate([{ type: 'HEADER', format: 'GIF' }, body('Hi')])).toEqual(['components[0].format']);
    });

    it('refuses a text header over 60 characters, blank, or with two placeholders', () => {
      expect(fieldsOfTemplate([textHeader('h'.repeat(61), null), body('Hi')])).toEqual(['components[0].text']);
      expect(fieldsOfTemplate([textHeader(' ', null), body('Hi')])).toEqual(['components[0].text']);
      expect(problemsOfTemplate([textHeader('{{1}} {{2}}', { header_text: ['a', 'b'] }), body('Hi')])).toEqual([
        { field: 'components[0].text', message: 'may hold at most 1 placeholder (got 2)' },
      ]);
      expect(fieldsOfTemplate([textHeader('{{1}} {{1}}'), body('Hi')])).toEqual(['components[0].text']);
    });

    it('refuses an invalid placeholder in a header', () => {
      expect(problemsOfTemplate([textHeader('Order {{ 1 }}', null), body('Hi')])).toEqual([
        {
          field: 'components[0].text',
          message: 'has "{{ 1 }}", which is not a placeholder: write {{1}}, {{2}}… or {{lowercase_name}}',
        },
      ]);
    });

    it('refuses a header placeholder without its one example', () => {
      expect(fieldsOfTemplate([textHeader('Order {{1}}', null), body('Hi')])).toEqual(['components[0].example']);
      expect(fieldsOfTemplate([textHeader('Order {{1}}', { header_text: [] }), body('Hi')])).toEqual([
        'components[0].example.header_text',
      ]);
      expect(fieldsOfTemplate([textHeader('Order {{1}}', { header_text: 'A-1' }), body('Hi')])).toEqual([
        'components[0].example.header_text',
      ]);
      expect(fieldsOfTemplate([textHeader('Hi {{name}}', { header_text: ['Ana'] }), body('Hi')])).toEqual([
        'components[0].example.header_text',
        'components[0].example.header_text_named_params',
      ]);
    });

    it('refuses an example on a header without placeholder', () => {
      expect(problemsOfTemplate([textHeader('Order ready', { header_text: ['x'] }), body('Hi')])).toEqual([
        { field: 'components[0].example', message: 'is only for a header with a placeholder' },
      ]);
    });

    it('refuses a media header without exactly one sample handle, or with text', () => {
      expect(fieldsOfTemplate([{ type: 'HEADER', format: 'IMAGE' }, body('Hi')])).toEqual(['components[0].example']);
      expect(fieldsOfTemplate([{ type: 'HEADER', format: 'VIDEO', example: { header_handle: [] } }, body('Hi')])).toEqual([
        'components[0].example.header_handle',
      ]);
      expect(
        fieldsOfTemplate([{ type: 'HEADER', format: 'DOCUMENT', text: 'x', example: { header_handle: ['h'] } }, body('Hi')]),
      ).toEqual(['components[0].text']);
    });

    it('refuses an example on a location header', () => {
      expect(fieldsOfTemplate([{ type: 'HEADER', format: 'LOCATION', example: { header_handle: ['h'] } }, body('Hi')])).toEqual([
        'components[0].example',
      ]);
    });
  });

  describe('footer', () => {
    it('refuses a missing, blank or over-60-character text', () => {
      expect(fieldsOfTemplate([body('Hi'), { type: 'FOOTER' }])).toEqual(['components[1].text']);
      expect(fieldsOfTemplate([body('Hi'), { type: 'FOOTER', text: '' }])).toEqual(['components[1].text']);
      expect(fieldsOfTemplate([body('Hi'), { type: 'FOOTER', text: 'f'.repeat(61) }])).toEqual(['components[1].text']);
    });

    it('refuses placeholders and examples in a footer', () => {
      expect(problemsOfTemplate([body('Hi'), { type: 'FOOTER', text: 'Bye {{1}}' }])).toEqual([
        { field: 'components[1].text', message: 'must not contain placeholders' },
      ]);
      expect(fieldsOfTemplate([body('Hi'), { type: 'FOOTER', text: 'Bye', example: { footer_text: ['x'] } }])).toEqual([
        'components[1].example',
      ]);
    });
  });

  describe('buttons', () => {
    it('refuses no buttons, 11 buttons, and 10,000 buttons with one problem', () => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf()])).toEqual(['components[1].buttons']);
      expect(problemsOfTemplate([body('Hi'), buttonsOf(...Array.from({ length: 11 }, (_, i) => quickReply(`${i}`)))])).toEqual([
        { field: 'components[1].buttons', message: 'must have at most 10 buttons (got 11)' },
      ]);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(...Array.from({ length: 10_000 }, (_, i) => quickReply(`${i}`)))])).toEqual([
        'components[1].buttons',
      ]);
      expect(fieldsOfTemplate([body('Hi'), { type: 'BUTTONS', buttons: { 0: quickReply() } }])).toEqual(['components[1].buttons']);
    });

    it('refuses buttons that are not objects or of unknown type', () => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf('Yes', null, { type: 'FLOW', text: 'Go' })])).toEqual([
        'components[1].buttons[0]',
        'components[1].buttons[1]',
        'components[1].buttons[2].type',
      ]);
    });

    it('refuses button texts over 25 characters, blank, or with placeholders', () => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(quickReply('q'.repeat(26)), quickReply(''), quickReply('Hi {{1}}'))])).toEqual([
        'components[1].buttons[0].text',
        'components[1].buttons[1].text',
        'components[1].buttons[2].text',
      ]);
    });

    it('refuses quick replies interleaved with other buttons', () => {
      expect(problemsOfTemplate([body('Hi'), buttonsOf(quickReply('A'), phoneButton, quickReply('B'))])).toEqual([
        { field: 'components[1].buttons', message: 'must keep all QUICK_REPLY buttons together, before or after the others' },
      ]);
    });

    it('refuses more than 2 URL buttons, 1 phone-number button or 1 copy-code button', () => {
      const components = [
        body('Hi'),
        buttonsOf(urlButton(), urlButton(), urlButton(), phoneButton, phoneButton, copyCode, copyCode),
      ];
      expect(problemsOfTemplate(components, { category: 'MARKETING' })).toEqual([
        { field: 'components[1].buttons', message: 'may have at most 2 URL button(s) (got 3)' },
        { field: 'components[1].buttons', message: 'may have at most 1 PHONE_NUMBER button(s) (got 2)' },
        { field: 'components[1].buttons', message: 'may have at most 1 COPY_CODE button(s) (got 2)' },
      ]);
    });

    it.each([
      'https://shop.example.com/{{1}}/track',
      'https://shop.example.com/{{2}}',
      'https://shop.example.com/{{1}}{{1}}',
      'https://shop.example.com/{{code}}',
      'https://shop.example.com/{{ 1 }}',
    ])('refuses the URL %j: one {{1}}, at the end only', (url) => {
      expect(problemsOfTemplate([body('Hi'), buttonsOf(urlButton(url))])).toEqual([
        { field: 'components[1].buttons[0].url', message: 'may hold one placeholder, {{1}}, only at its very end' },
      ]);
    });

    it.each(['ftp://example.com/a', 'javascript:alert(1)', 'example.com', '{{1}}'])('refuses the URL %j: not a web address', (url) => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(urlButton(url, url.includes('{{') ? ['x'] : null))])).toEqual([
        'components[1].buttons[0].url',
      ]);
    });

    it('accepts plain http for a website button', () => {
      expect(() => validate([body('Hi'), buttonsOf(urlButton('http://example.com/a?b={{1}}'))])).not.toThrow();
    });

    it('refuses a URL over 2000 characters and a missing one', () => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(urlButton(`https://e.com/${'a'.repeat(2000)}`, null))])).toEqual([
        'components[1].buttons[0].url',
      ]);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ type: 'URL', text: 'Go' })])).toEqual(['components[1].buttons[0].url']);
    });

    it('requires exactly one example for a URL with {{1}}, and none without', () => {
      expect(problemsOfTemplate([body('Hi'), buttonsOf(urlButton(undefined, null))])).toEqual([
        { field: 'components[1].buttons[0].example', message: 'is required: give [sample value] for the {{1}} in the URL' },
      ]);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(urlButton(undefined, ['a', 'b']))])).toEqual(['components[1].buttons[0].example']);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(urlButton(undefined, 'A-1'))])).toEqual(['components[1].buttons[0].example']);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf(urlButton('https://example.com', ['a']))])).toEqual([
        'components[1].buttons[0].example',
      ]);
    });

    it.each(['12345', 'call me', '+0 555 0051', '1'.repeat(21)])('refuses the phone number %j', (phone) => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ ...phoneButton, phone_number: phone })])).toEqual([
        'components[1].buttons[0].phone_number',
      ]);
    });

    it('refuses a copy-code button without a sample code of at most 15 characters, or with a text', () => {
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ type: 'COPY_CODE' })])).toEqual(['components[1].buttons[0].example']);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ type: 'COPY_CODE', example: 'C'.repeat(16) })])).toEqual([
        'components[1].buttons[0].example',
      ]);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ ...copyCode, text: 'Copy' })])).toEqual(['components[1].buttons[0].text']);
    });

    it('refuses unknown properties on buttons and on the BUTTONS component', () => {
      expect(fieldsOfTemplate([body('Hi'), { ...buttonsOf(quickReply()), layout: 'grid' }])).toEqual(['components[1].layout']);
      expect(fieldsOfTemplate([body('Hi'), buttonsOf({ ...quickReply(), payload: 'x' })])).toEqual(['components[1].buttons[0].payload']);
    });

    it('refuses an OTP button outside an AUTHENTICATION template', () => {
      expect(problemsOfTemplate([body('Hi'), buttonsOf(otpButton)])).toEqual([
        { field: 'components[1].buttons[0].type', message: 'OTP buttons are only for AUTHENTICATION templates' },
      ]);
    });
  });

  describe('AUTHENTICATION templates', () => {
    it("accept Meta's fixed shape", () => {
      const components = [authBody, { type: 'FOOTER', code_expiration_minutes: 10 }, buttonsOf(otpButton)];
      expect(validateTemplateDefinition(authentication(components))).toEqual({ parameterFormat: 'POSITIONAL' });
      expect(() => validateTemplateDefinition(authentication([{ type: 'BODY' }, buttonsOf({ type: 'OTP', otp_type: 'COPY_CODE' })]))).not.toThrow();
    });

    it('refuse a header, a body text, a footer text, and a missing OTP button', () => {
      const components = [textHeader(), { ...authBody, text: 'Your code is {{1}}' }, { type: 'FOOTER', text: 'Bye' }];
      expect(fieldsOf(() => validateTemplateDefinition(authentication(components)))).toEqual([
        'components[0]',
        'components[1].text',
        'components[2].text',
        'components',
      ]);
    });

    it('refuse other button types, one-tap codes and two OTP buttons', () => {
      expect(fieldsOf(() => validateTemplateDefinition(authentication([authBody, buttonsOf(quickReply())])))).toEqual([
        'components[1].buttons[0].type',
      ]);
      expect(fieldsOf(() => validateTemplateDefinition(authentication([authBody, buttonsOf({ ...otpButton, otp_type: 'ONE_TAP' })])))).toEqual([
        'components[1].buttons[0].otp_type',
      ]);
      expect(problemsOf(() => validateTemplateDefinition(authentication([authBody, buttonsOf(otpButton, otpButton)])))).toEqual([
        { field: 'components[1].buttons', message: 'may have at most 1 OTP button(s) (got 2)' },
      ]);
    });

    it.each([0, 91, 1.5, '10'])('refuse a code expiration of %j minutes', (minutes) => {
      const components = [authBody, { type: 'FOOTER', code_expiration_minutes: minutes }, buttonsOf(otpButton)];
      expect(fieldsOf(() => validateTemplateDefinition(authentication(components)))).toEqual(['components[1].code_expiration_minutes']);
    });

    it('refuse a non-boolean security recommendation', () => {
      const components = [{ type: 'BODY', add_security_recommendation: 'yes' }, buttonsOf(otpButton)];
      expect(fieldsOf(() => validateTemplateDefinition(authentication(components)))).toEqual([
        'components[0].add_security_recommendation',
      ]);
    });
  });

  it('reports at most 50 problems for a template that is wrong everywhere', () => {
    const buttons = buttonsOf(...Array.from({ length: 10 }, () => ({ type: 'URL', text: '', url: 'ftp://x', junk: 1, more: 2, again: 3 })));
    try {
      validate([body('{{0}} {{ 1 }} {{x-y}} {{A}} }} {{0}} {{0}} {{0}}'), buttons]);
      throw new Error('expected a throw');
    } catch (error) {
      const extensions = (error as AppError).extensions;
      expect((extensions.problems as unknown[]).length).toBe(MAX_REPORTED_PROBLEMS);
      expect(extensions.problemsOmitted).toBeGreaterThan(0);
    }
  });
});

describe('templateParameterSpec', () => {
  it('reads header, body and button parameters of a positional template', () => {
    const components = [textHeader(), positionalBody, footer, buttonsOf(quickReply(), urlButton(), phoneButton, urlButton('https://e.com', null), copyCode)];
    expect(templateParameterSpec(components)).toEqual({
      parameterFormat: 'POSITIONAL',
      header: { kind: 'text', params: ['1'] },
      body: ['1', '2'],
      buttons: [
        { index: 0, subType: 'quick_reply', params: 0 },
        { index: 1, subType: 'url', params: 1 },
        { index: 4, subType: 'copy_code', params: 1 },
      ],
    });
  });

  it('reads names in order of first appearance for a named template', () => {
    const components = [textHeader('Hi {{first_name}}', null), body('{{city}} for {{first_name}}, {{city}} again, then {{zip}}')];
    expect(templateParameterSpec(components)).toEqual({
      parameterFormat: 'NAMED',
      header: { kind: 'text', params: ['first_name'] },
      body: ['city', 'first_name', 'zip'],
      buttons: [],
    });
  });

  it.each([
    ['IMAGE', 'image'],
    ['VIDEO', 'video'],
    ['DOCUMENT', 'document'],
    ['LOCATION', 'location'],
  ])('reads a %s header as needing a %s', (format, kind) => {
    expect(templateParameterSpec([{ type: 'HEADER', format }, body('Hi')]).header).toEqual({ kind, params: [] });
  });

  it('reads a header without format as text and no header as none', () => {
    expect(templateParameterSpec([{ type: 'HEADER', text: 'Hello' }, body('Hi')]).header).toEqual({ kind: 'text', params: [] });
    expect(templateParameterSpec([body('Hi')]).header).toEqual({ kind: null, params: [] });
    expect(templateParameterSpec([{ type: 'HEADER', format: 'GIF' }]).header).toEqual({ kind: null, params: [] });
  });

  it('reads components without a type or text as taking nothing', () => {
    expect(templateParameterSpec([{ type: 7 }, { type: 'HEADER', format: 'TEXT', text: 42 }, { type: 'BODY', text: 'Hi' }])).toEqual({
      parameterFormat: 'POSITIONAL',
      header: { kind: 'text', params: [] },
      body: [],
      buttons: [],
    });
  });

  it('reads lowercase component types as Meta sometimes returns them', () => {
    expect(templateParameterSpec([{ type: 'body', text: 'Hi {{1}}' }, { type: 'buttons', buttons: [{ type: 'quick_reply', text: 'A' }] }])).toMatchObject({
      body: ['1'],
      buttons: [{ index: 0, subType: 'quick_reply', params: 0 }],
    });
  });

  it('reads the code of an authentication template: body {{1}} and an OTP button sent as a URL button', () => {
    expect(templateParameterSpec([authBody, buttonsOf(otpButton)])).toEqual({
      parameterFormat: 'POSITIONAL',
      header: { kind: null, params: [] },
      body: ['1'],
      buttons: [{ index: 0, subType: 'url', params: 1 }],
    });
    const asMetaReturnsIt = [
      body('*{{1}}* is your verification code.'),
      buttonsOf({ type: 'URL', text: 'Copy code', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}' }),
    ];
    expect(templateParameterSpec(asMetaReturnsIt).buttons).toEqual([{ index: 0, subType: 'url', params: 1 }]);
  });

  it.each([null, undefined, 'BODY', {}, [null, 42, 'x', { type: 'BUTTONS', buttons: 'x' }, { type: 'BUTTONS', buttons: [null] }]])(
    'reads garbage %j as a template without parameters',
    (components) => {
      expect(templateParameterSpec(components)).toEqual({ parameterFormat: 'POSITIONAL', header: { kind: null, params: [] }, body: [], buttons: [] });
    },
  );
});

describe('buildTemplateComponents', () => {
  const positional = templateParameterSpec([textHeader(), positionalBody, buttonsOf(quickReply(), phoneButton, urlButton(), copyCode)]);
  const named = templateParameterSpec([namedBody]);
  const plain = templateParameterSpec([body('Your order is ready.')]);
  const withHeader = (format: string) => templateParameterSpec([{ type: 'HEADER', format }, body('Hi')]);
  const build = (spec: TemplateParameterSpec, parameters: unknown) =>
    buildTemplateComponents(spec, parameters as Parameters<typeof buildTemplateComponents>[1]);
  const fieldsOfBuild = (spec: TemplateParameterSpec, parameters: unknown) => fieldsOf(() => build(spec, parameters));
  const complete = { header: 'A-1', body: ['Ana', 'A-1'], buttons: ['yes', null, 'A-1', '25OFF'] };

  it("builds Meta's components for a positional template, in order", () => {
    expect(build(positional, complete)).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'A-1' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: 'A-1' },
        ],
      },
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'yes' }] },
      { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'A-1' }] },
      { type: 'button', sub_type: 'copy_code', index: '3', parameters: [{ type: 'coupon_code', coupon_code: '25OFF' }] },
    ]);
  });

  it('leaves out the optional quick-reply payload when none is given', () => {
    const components = build(positional, { ...complete, buttons: [undefined, null, 'A-1', '25OFF'] });
    expect(components.filter((c) => c.type === 'button').map((c) => 'sub_type' in c && c.sub_type)).toEqual(['url', 'copy_code']);
  });

  it('builds named parameters with their names, whatever the key order', () => {
    expect(build(named, { body: { order_id: 'A-1', first_name: 'Ana' } })).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Ana' },
          { type: 'text', parameter_name: 'order_id', text: 'A-1' },
        ],
      },
    ]);
  });

  it('builds a named text header with its name', () => {
    const spec = templateParameterSpec([textHeader('Hi {{first_name}}', null), body('Hello')]);
    expect(build(spec, { header: 'Ana' })).toEqual([
      { type: 'header', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ana' }] },
    ]);
  });

  it('builds nothing for a template without parameters, with or without empty input', () => {
    expect(build(plain, undefined)).toEqual([]);
    expect(build(plain, null)).toEqual([]);
    expect(build(plain, { body: [], buttons: [] })).toEqual([]);
    expect(build(plain, { body: {} })).toEqual([]);
  });

  it('builds media headers from a link or an id, and a document with its filename', () => {
    expect(build(withHeader('IMAGE'), { header: { link: 'https://cdn.example.com/a.jpg' } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/a.jpg' } }],
    });
    expect(build(withHeader('VIDEO'), { header: { id: '123' } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'video', video: { id: '123' } }],
    });
    expect(build(withHeader('DOCUMENT'), { header: { id: '9', filename: 'invoice.pdf' } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'document', document: { id: '9', filename: 'invoice.pdf' } }],
    });
    expect(build(withHeader('DOCUMENT'), { header: { id: '9' } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'document', document: { id: '9' } }],
    });
  });

  it('ignores a button spec that takes no value', () => {
    const spec: TemplateParameterSpec = { ...plain, buttons: [{ index: 0, subType: 'url', params: 0 }] };
    expect(build(spec, { buttons: [] })).toEqual([]);
  });

  it('builds a location header', () => {
    expect(build(withHeader('LOCATION'), { header: { latitude: -23.5, longitude: -46.6, name: 'Shop', address: 'Rua A, 1' } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'location', location: { latitude: -23.5, longitude: -46.6, name: 'Shop', address: 'Rua A, 1' } }],
    });
    expect(build(withHeader('LOCATION'), { header: { latitude: 0, longitude: 0 } })[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'location', location: { latitude: 0, longitude: 0 } }],
    });
  });

  describe('refuses', () => {
    it('a missing positional value, naming its index', () => {
      expect(problemsOf(() => build(positional, { ...complete, body: ['Ana'] }))).toEqual([
        { field: 'parameters.body[1]', message: 'is missing' },
      ]);
      // A hole in the list, as `[, 'A-1']` would make.
      // eslint-disable-next-line no-sparse-arrays
      expect(fieldsOfBuild(positional, { ...complete, body: [, 'A-1'] })).toEqual(['parameters.body[0]']);
      expect(fieldsOfBuild(positional, { ...complete, body: undefined })).toEqual(['parameters.body']);
    });

    it('extra positional values, naming each', () => {
      expect(problemsOf(() => build(positional, { ...complete, body: ['Ana', 'A-1', 'x', 'y'] }))).toEqual([
        { field: 'parameters.body[2]', message: 'is one value too many: the template body takes 2' },
        { field: 'parameters.body[3]', message: 'is one value too many: the template body takes 2' },
      ]);
    });

    it('10,000 body values with a bounded error', () => {
      const problems = problemsOf(() => build(positional, { ...complete, body: Array.from({ length: 10_000 }, () => 'x') }));
      expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS);
      expect(problems[0]!.field).toBe('parameters.body[2]');
    });

    it.each([
      [42, 'must be a string, not a number'],
      [true, 'must be a string, not a boolean'],
      [null, 'is missing'],
      [{ text: 'Ana' }, 'must be a string, not an object'],
      [['Ana'], 'must be a string, not an array'],
      ['', 'must not be blank'],
      ['   ', 'must not be blank'],
      ['two\nlines', 'must not contain new lines, tabs or more than 4 spaces in a row'],
      ['a\ttab', 'must not contain new lines, tabs or more than 4 spaces in a row'],
      ['five     spaces', 'must not contain new lines, tabs or more than 4 spaces in a row'],
      ['x'.repeat(1025), 'must be at most 1024 characters'],
    ])('the body value %j', (value, message) => {
      expect(problemsOf(() => build(positional, { ...complete, body: ['Ana', value] }))).toEqual([{ field: 'parameters.body[1]', message }]);
    });

    it('four spaces in a row are fine', () => {
      expect(() => build(positional, { ...complete, body: ['Ana', 'four    spaces'] })).not.toThrow();
    });

    it('a missing or extra named value, naming it', () => {
      expect(problemsOf(() => build(named, { body: { first_name: 'Ana' } }))).toEqual([
        { field: 'parameters.body.order_id', message: 'is missing' },
      ]);
      expect(problemsOf(() => build(named, { body: { first_name: 'Ana', order_id: '1', nickname: 'A' } }))).toEqual([
        { field: 'parameters.body.nickname', message: 'is not used: the template body has no {{nickname}}' },
      ]);
    });

    it('never reads a named value from the prototype', () => {
      const spec = templateParameterSpec([body('Hi {{constructor}} {{to_string}}')]);
      expect(fieldsOfBuild(spec, { body: {} })).toEqual(['parameters.body.constructor', 'parameters.body.to_string']);
      const hostile = JSON.parse('{"body": {"__proto__": {"constructor": "x"}, "constructor": "ok", "to_string": "ok"}}');
      expect(fieldsOfBuild(spec, hostile)).toEqual(['parameters.body.__proto__']);
    });

    it('the wrong container for the format', () => {
      expect(problemsOf(() => build(named, { body: ['Ana', 'A-1'] }))).toEqual([
        { field: 'parameters.body', message: 'must be an object keyed by placeholder name (first_name, order_id), not an array' },
      ]);
      expect(problemsOf(() => build(positional, { ...complete, body: { 1: 'Ana', 2: 'A-1' } }))).toEqual([
        { field: 'parameters.body', message: 'must be a list of 2 value(s) in placeholder order, not an object' },
      ]);
      expect(fieldsOfBuild(named, {})).toEqual(['parameters.body']);
    });

    it('body values for a body without placeholders', () => {
      expect(fieldsOfBuild(plain, { body: ['x'] })).toEqual(['parameters.body[0]']);
      expect(fieldsOfBuild(plain, { body: { name: 'x' } })).toEqual(['parameters.body.name']);
      expect(fieldsOfBuild(plain, { body: 'x' })).toEqual(['parameters.body']);
    });

    it('a header value for a template without header placeholder', () => {
      expect(problemsOf(() => build(plain, { header: 'x' }))).toEqual([
        { field: 'parameters.header', message: 'is not used: the template has no header placeholder' },
      ]);
      const staticHeader = templateParameterSpec([textHeader('Hello', null), body('Hi')]);
      expect(fieldsOfBuild(staticHeader, { header: 'x' })).toEqual(['parameters.header']);
    });

    it('a missing, blank or overlong text header value', () => {
      expect(fieldsOfBuild(positional, { ...complete, header: undefined })).toEqual(['parameters.header']);
      expect(fieldsOfBuild(positional, { ...complete, header: ' ' })).toEqual(['parameters.header']);
      expect(fieldsOfBuild(positional, { ...complete, header: 'h'.repeat(61) })).toEqual(['parameters.header']);
    });

    it('a media header without link or id, with both, or of the wrong type', () => {
      expect(problemsOf(() => build(withHeader('IMAGE'), {}))).toEqual([
        { field: 'parameters.header', message: "is missing: the template's header needs a image" },
      ]);
      expect(problemsOf(() => build(withHeader('IMAGE'), { header: {} }))).toEqual([
        { field: 'parameters.header.link', message: 'exactly one of parameters.header.link and parameters.header.id is required' },
      ]);
      expect(fieldsOfBuild(withHeader('IMAGE'), { header: { link: 'https://a.com/a.jpg', id: '1' } })).toEqual(['parameters.header.id']);
      expect(fieldsOfBuild(withHeader('IMAGE'), { header: 'https://a.com/a.jpg' })).toEqual(['parameters.header']);
      expect(fieldsOfBuild(withHeader('IMAGE'), { header: ['https://a.com/a.jpg'] })).toEqual(['parameters.header']);
    });

    it('a media header with a non-https link, a bad id, or a filename on an image', () => {
      expect(problemsOf(() => build(withHeader('IMAGE'), { header: { link: 'http://a.com/a.jpg' } }))).toEqual([
        { field: 'parameters.header.link', message: 'must be an https:// URL' },
      ]);
      expect(fieldsOfBuild(withHeader('VIDEO'), { header: { link: 'x'.repeat(3000) } })).toEqual(['parameters.header.link']);
      expect(fieldsOfBuild(withHeader('VIDEO'), { header: { id: 7 } })).toEqual(['parameters.header.id']);
      expect(fieldsOfBuild(withHeader('IMAGE'), { header: { id: '7', filename: 'a.jpg' } })).toEqual(['parameters.header.filename']);
      expect(fieldsOfBuild(withHeader('DOCUMENT'), { header: { id: '7', filename: '' } })).toEqual(['parameters.header.filename']);
    });

    it('a location header with missing or impossible coordinates', () => {
      expect(problemsOf(() => build(withHeader('LOCATION'), {}))[0]!.message).toBe("is missing: the template's header needs a location");
      expect(fieldsOfBuild(withHeader('LOCATION'), { header: { latitude: 91, longitude: '10' } })).toEqual([
        'parameters.header.latitude',
        'parameters.header.longitude',
      ]);
      expect(fieldsOfBuild(withHeader('LOCATION'), { header: { latitude: Number.NaN, longitude: 181, name: 3, city: 'x' } })).toEqual([
        'parameters.header.city',
        'parameters.header.latitude',
        'parameters.header.longitude',
        'parameters.header.name',
      ]);
    });

    it('a missing URL or coupon value, naming the button index', () => {
      expect(problemsOf(() => build(positional, { ...complete, buttons: ['yes'] }))).toEqual([
        { field: 'parameters.buttons[2]', message: 'is missing: button 2 takes the end of its URL' },
        { field: 'parameters.buttons[3]', message: 'is missing: button 3 takes a coupon code' },
      ]);
    });

    it('a value for a button that takes none, and buttons that are not a list', () => {
      expect(problemsOf(() => build(positional, { ...complete, buttons: ['yes', '+1555', 'A-1', '25OFF', 'x'] }))).toEqual([
        { field: 'parameters.buttons[1]', message: 'is not used: button 1 takes no value' },
        { field: 'parameters.buttons[4]', message: 'is not used: button 4 takes no value' },
      ]);
      expect(fieldsOfBuild(positional, { ...complete, buttons: { 2: 'A-1' } })).toEqual(['parameters.buttons']);
    });

    it('button values of the wrong type or length', () => {
      expect(fieldsOfBuild(positional, { ...complete, buttons: [42, null, 'u'.repeat(2001), 'C'.repeat(16)] })).toEqual([
        'parameters.buttons[0]',
        'parameters.buttons[2]',
        'parameters.buttons[3]',
      ]);
    });

    it.each(['x', 42, ['header']])('parameters given as %j', (parameters) => {
      expect(fieldsOfBuild(plain, parameters)).toEqual(['parameters']);
    });

    it('unknown keys in parameters', () => {
      expect(fieldsOfBuild(plain, { footer: 'x' })).toEqual(['parameters.footer']);
    });
  });
});
