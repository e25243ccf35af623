import { buttons, condition, expectValid, fieldsOf, http, list, message, nodeProblems, question, rows, template, TARGETS, type Node } from './validation-fixtures';

/** One rule per test: each refused node yields exactly the problem listed. */
const refuses = (node: Node, field: string, message: string | jest.AsymmetricMatcher) => {
  expect(nodeProblems(node)).toEqual([{ field, message }]);
};
const accepts = (node: Node) => expect(nodeProblems(node)).toEqual([]);

describe('message node', () => {
  it('accepts text, buttons, a list or media', () => {
    accepts(message());
    accepts(buttons({ retryText: 'Tap one', maxAttempts: 10, onInvalid: 'c' }));
    accepts(list());
    accepts(message({ text: undefined, media: { kind: 'video', id: 'm1', caption: 'Watch' } }));
    accepts(message({ media: { kind: 'audio', link: 'https://cdn.test/a.ogg' } }));
  });

  describe('text', () => {
    it.each([
      ['missing without media', message({ text: undefined }), 'is required'],
      ['blank', message({ text: ' \n ' }), 'must not be blank'],
      ['over 4096 characters', message({ text: 'x'.repeat(4097) }), 'must be at most 4096 characters'],
      ['over 1024 characters with buttons', buttons({ text: 'x'.repeat(1025) }), 'must be at most 1024 characters'],
      ['missing with buttons', buttons({ text: undefined }), 'is required'],
    ])('is refused %s', (_, node, problem) => refuses(node, 'text', problem));

    it('counts characters, not UTF-16 units', () => {
      accepts(message({ text: '😀'.repeat(4096) }));
      accepts(list({}, { text: 'x'.repeat(4096) }));
    });
  });

  it('has at most one of buttons, list and media', () => {
    const node = buttons({ list: list().list, media: { kind: 'image', link: 'https://cdn.test/a.png' } });
    expect(nodeProblems(node)).toEqual([
      { field: 'list', message: 'cannot be used together with buttons: a message has at most one of buttons, list and media' },
      { field: 'media', message: 'cannot be used together with buttons: a message has at most one of buttons, list and media' },
    ]);
  });

  describe('buttons', () => {
    const one = (button: Node) => buttons({ buttons: [button] });

    it.each([
      ['not a list', buttons({ buttons: { id: 'x' } }), 'buttons', 'must be a list, not an object'],
      ['none', buttons({ buttons: [] }), 'buttons', 'must have at least 1 button'],
      ['a button that is not an object', buttons({ buttons: ['Yes'] }), 'buttons[0]', 'must be an object, not a string'],
      ['an unknown button field', one({ id: 'x', title: 'X', next: 'a', payload: 1 }), 'buttons[0].payload', expect.stringContaining('is not a known field')],
      ['a missing id', one({ title: 'X', next: 'a' }), 'buttons[0].id', 'is required'],
      ['an id over 256 characters', one({ id: 'i'.repeat(257), title: 'X', next: 'a' }), 'buttons[0].id', 'must be at most 256 characters'],
      ['a missing title', one({ id: 'x', next: 'a' }), 'buttons[0].title', 'is required'],
      ['a title over 20 characters', one({ id: 'x', title: 't'.repeat(21), next: 'a' }), 'buttons[0].title', 'must be at most 20 characters'],
      ['a missing next', one({ id: 'x', title: 'X' }), 'buttons[0].next', 'is required: each button leads somewhere'],
    ])('are refused with %s', (_, node, field, problem) => refuses(node, field, problem));

    it('are at most 3', () => {
      const four = ['a', 'b', 'c', 'a'].map((next, i) => ({ id: `b${i}`, title: `B${i}`, next }));
      refuses(buttons({ buttons: four }), 'buttons', 'must have at most 3 buttons (got 4)');
    });

    it('accept a title of exactly 20 characters', () => {
      accepts(one({ id: 'x', title: 't'.repeat(20), next: 'a' }));
    });

    it('have unique ids', () => {
      const node = buttons({ buttons: [{ id: 'x', title: 'X', next: 'a' }, { id: 'x', title: 'Y', next: 'b' }] });
      refuses(node, 'buttons[1].id', 'repeats the id "x" of another button');
    });

    it('have unique titles, ignoring case and spaces, since a typed title must pick one', () => {
      const node = buttons({ buttons: [{ id: 'x', title: 'Sales', next: 'a' }, { id: 'y', title: ' sales', next: 'b' }] });
      refuses(node, 'buttons[1].title', 'repeats the title " sales" of another button');
    });
  });

  describe('list', () => {
    const section = (rowList: unknown, title?: string) => ({ ...(title ? { title } : {}), rows: rowList });
    const oneRow = (row: Node) => list({ sections: [section([row])] });

    it.each([
      ['not an object', message({ next: undefined, list: ['a'] }), 'list', 'must be an object, not an array'],
      ['an unknown field', list({ header: 'x' }), 'list.header', expect.stringContaining('is not a known field')],
      ['no button label', list({ button: undefined }), 'list.button', 'is required'],
      ['a button label over 20 characters', list({ button: 'b'.repeat(21) }), 'list.button', 'must be at most 20 characters'],
      ['no sections', list({ sections: undefined }), 'list.sections', 'is required'],
      ['an empty section list', list({ sections: [] }), 'list.sections', 'must have at least 1 section'],
      ['a section that is not an object', list({ sections: [[]] }), 'list.sections[0]', 'must be an object, not an array'],
      ['an unknown section field', list({ sections: [{ rows: rows(1), id: 's' }] }), 'list.sections[0].id', expect.stringContaining('is not a known field')],
      ['a section title over 24 characters', list({ sections: [section(rows(1), 's'.repeat(25))] }), 'list.sections[0].title', 'must be at most 24 characters'],
      ['a section without rows', list({ sections: [section(undefined)] }), 'list.sections[0].rows', 'is required'],
      ['a section with no rows', list({ sections: [section([])] }), 'list.sections[0].rows', 'must have at least 1 row'],
      ['a row that is not an object', oneRow('r' as never), 'list.sections[0].rows[0]', 'must be an object, not a string'],
      ['an unknown row field', oneRow({ id: 'r', title: 'R', next: 'a', emoji: '!' }), 'list.sections[0].rows[0].emoji', expect.stringContaining('is not a known field')],
      ['a row id over 200 characters', oneRow({ id: 'i'.repeat(201), title: 'R', next: 'a' }), 'list.sections[0].rows[0].id', 'must be at most 200 characters'],
      ['a row title over 24 characters', oneRow({ id: 'r', title: 't'.repeat(25), next: 'a' }), 'list.sections[0].rows[0].title', 'must be at most 24 characters'],
      ['a row description over 72 characters', oneRow({ id: 'r', title: 'R', description: 'd'.repeat(73), next: 'a' }), 'list.sections[0].rows[0].description', 'must be at most 72 characters'],
      ['a row without next', oneRow({ id: 'r', title: 'R' }), 'list.sections[0].rows[0].next', 'is required: each row leads somewhere'],
    ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

    it('needs section titles only when there are several sections', () => {
      accepts(list({ sections: [section(rows(1))] }));
      refuses(list({ sections: [section(rows(1), 'One'), section([{ id: 'z', title: 'Z', next: 'a' }])] }), 'list.sections[1].title', 'is required');
    });

    it('has at most 10 sections', () => {
      const sections = Array.from({ length: 11 }, (_, i) => section([{ id: `r${i}`, title: `R${i}`, next: 'a' }], `S${i}`));
      expect(fieldsOf(list({ sections }))).toContain('list.sections');
    });

    it('has at most 10 rows over all sections', () => {
      accepts(list({ sections: [section(rows(10))] }));
      const split = [section(rows(6), 'One'), section(rows(5).map((row) => ({ ...row, id: `${row.id}b`, title: `${row.title}b` })), 'Two')];
      refuses(list({ sections: split }), 'list.sections', 'must have at most 10 rows in all (got 11)');
      // Only the first 10 rows are checked, so a long hostile list costs nothing more.
      refuses(list({ sections: [section([...rows(10), ...Array.from({ length: 5000 }, () => 'junk')])] }), 'list.sections', 'must have at most 10 rows in all (got 5010)');
    });

    it('has unique row ids, over all sections', () => {
      const node = list({ sections: [section([{ id: 'r', title: 'A', next: 'a' }], 'One'), section([{ id: 'r', title: 'B', next: 'b' }], 'Two')] });
      refuses(node, 'list.sections[1].rows[0].id', 'repeats the id "r" of another row');
    });

    it('has unique row titles, ignoring case, since a typed title must pick one', () => {
      const node = oneRow({ id: 'r', title: 'Billing', next: 'a' });
      (node.list as { sections: { rows: unknown[] }[] }).sections[0]!.rows.push({ id: 's', title: 'BILLING', next: 'b' });
      refuses(node, 'list.sections[0].rows[1].title', 'repeats the title "BILLING" of another row');
    });
  });

  describe('media', () => {
    const media = (value: unknown) => message({ media: value });

    it.each([
      ['not an object', media('https://cdn.test/a.png'), 'media', 'must be an object, not a string'],
      ['an unknown field', media({ kind: 'image', link: 'https://cdn.test/a.png', filename: 'a.png' }), 'media.filename', expect.stringContaining('is not a known field')],
      ['no kind', media({ link: 'https://cdn.test/a.png' }), 'media.kind', 'is required: one of image, video, audio, document'],
      ['an unknown kind', media({ kind: 'sticker', link: 'https://cdn.test/a.webp' }), 'media.kind', 'must be one of image, video, audio, document'],
      ['both link and id', media({ kind: 'image', link: 'https://cdn.test/a.png', id: 'm1' }), 'media.id', 'exactly one of media.link and media.id is required'],
      ['neither link nor id', media({ kind: 'image' }), 'media.link', 'exactly one of media.link and media.id is required'],
      ['a link that is not https', media({ kind: 'image', link: 'http://cdn.test/a.png' }), 'media.link', 'must be an https:// URL'],
      ['a link that is not a string', media({ kind: 'image', link: 5 }), 'media.link', 'must be a string, not a number'],
      ['an id with spaces', media({ kind: 'image', id: 'm 1' }), 'media.id', 'must not contain spaces'],
      ['an id that is not a string', media({ kind: 'image', id: 5 }), 'media.id', 'must be a string, not a number'],
      ['a caption on audio', media({ kind: 'audio', id: 'm1', caption: 'Listen' }), 'media.caption', 'is not allowed for audio: only images, videos and documents have captions'],
      ['a caption over 1024 characters', media({ kind: 'document', id: 'm1', caption: 'c'.repeat(1025) }), 'media.caption', 'must be at most 1024 characters'],
    ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

    it('reports only the kind when an unknown kind has a caption', () => {
      expect(fieldsOf(media({ kind: 'gif', id: 'm1', caption: 'x' }))).toEqual(['media.kind']);
    });
  });

  describe('options and retries', () => {
    it('a message with options has no next of its own', () => {
      refuses(buttons({ next: 'a' }), 'next', 'is not used when the message has buttons or a list: each option has its own next');
    });

    it.each([
      ['retryText over the body limit', buttons({ retryText: 'r'.repeat(1025) }), 'retryText', 'must be at most 1024 characters'],
      ['a blank retryText', list({}, { retryText: ' ' }), 'retryText', 'must not be blank'],
      ['maxAttempts of 0', buttons({ maxAttempts: 0 }), 'maxAttempts', 'must be a whole number from 1 to 10'],
      ['maxAttempts of 11', buttons({ maxAttempts: 11 }), 'maxAttempts', 'must be a whole number from 1 to 10'],
      ['maxAttempts of 2.5', buttons({ maxAttempts: 2.5 }), 'maxAttempts', 'must be a whole number from 1 to 10'],
      ['an onInvalid that is not a node id', buttons({ onInvalid: ['a'] }), 'onInvalid', 'must be the id of a node'],
    ])('are refused with %s', (_, node, field, problem) => refuses(node, field, problem));

    it('retryText, maxAttempts and onInvalid are refused on a message that waits for no answer', () => {
      expect(nodeProblems(message({ retryText: 'again', maxAttempts: 2, onInvalid: 'b' }))).toEqual(
        ['retryText', 'maxAttempts', 'onInvalid'].map((field) => ({
          field,
          message: 'is not used without buttons or a list: the message waits for no answer',
        })),
      );
    });
  });
});

describe('question node', () => {
  it('accepts every validator', () => {
    accepts(question({ saveAs: 'answer', retryText: 'Again', maxAttempts: 1, onInvalid: 'b' }));
    accepts(question({ validate: { kind: 'text', min: 0, max: 4096 } }));
    accepts(question({ validate: { kind: 'email' } }));
    accepts(question({ validate: { kind: 'phone' } }));
    accepts(question({ validate: { kind: 'number', min: -1.5, max: 1e9 } }));
    accepts(question({ validate: { kind: 'choice', options: ['Yes', 'No'] } }));
    accepts(question({ validate: { kind: 'regex', pattern: '^[A-Z]{3}-\\d{4}$' } }));
  });

  it.each([
    ['no text', question({ text: undefined }), 'text', 'is required'],
    ['a text over 4096 characters', question({ text: 'x'.repeat(4097) }), 'text', 'must be at most 4096 characters'],
    ['a retryText over 4096 characters', question({ retryText: 'x'.repeat(4097) }), 'retryText', 'must be at most 4096 characters'],
    ['maxAttempts out of range', question({ maxAttempts: 20 }), 'maxAttempts', 'must be a whole number from 1 to 10'],
    ['no next', question({ next: undefined }), 'next', 'is required: a question continues to next once answered'],
    ['a validate that is not an object', question({ validate: 'email' }), 'validate', 'must be an object, not a string'],
    ['an unknown validator field', question({ validate: { kind: 'email', strict: true } }), 'validate.strict', expect.stringContaining('is not a known field')],
    ['no validator kind', question({ validate: {} }), 'validate.kind', 'is required: one of text, email, phone, number, choice, regex'],
    ['an unknown validator kind', question({ validate: { kind: 'date' } }), 'validate.kind', 'must be one of text, email, phone, number, choice, regex'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

  describe('saveAs', () => {
    it.each(['email', '_x', 'Order_2', 'a'.repeat(64)])('accepts %j', (saveAs) => accepts(question({ saveAs })));

    it.each(['2fa', 'first name', 'a.b', 'a-b', '', 'a'.repeat(65), 7])('refuses %j: not a variable name', (saveAs) => {
      refuses(question({ saveAs }), 'saveAs', 'must be a variable name: a letter or _ then letters, digits or _ (at most 64)');
    });

    it.each(['last_input', 'contact', '__proto__'])('refuses the reserved name %j', (saveAs) => {
      refuses(question({ saveAs }), 'saveAs', `"${saveAs}" is reserved: choose another name`);
    });
  });

  describe('choice', () => {
    const choice = (options: unknown) => question({ validate: { kind: 'choice', options } });

    it.each([
      ['no options', choice(undefined), 'validate.options', 'is required'],
      ['an empty option list', choice([]), 'validate.options', 'must have at least 1 option'],
      ['more than 50 options', choice(Array.from({ length: 51 }, (_, i) => `o${i}`)), 'validate.options', 'must have at most 50 options (got 51)'],
      ['a blank option', choice(['Yes', ' ']), 'validate.options[1]', 'must not be blank'],
      ['an option that is not text', choice([1]), 'validate.options[0]', 'must be a string, not a number'],
      ['an option over 100 characters', choice(['o'.repeat(101)]), 'validate.options[0]', 'must be at most 100 characters'],
      ['an option twice, ignoring case', choice(['Yes', 'YES']), 'validate.options[1]', 'repeats the option "YES"'],
    ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

    it('options are refused on other validators', () => {
      refuses(question({ validate: { kind: 'text', options: ['a'] } }), 'validate.options', 'is only used by the choice validator');
    });
  });

  describe('regex', () => {
    const regex = (pattern: unknown) => question({ validate: { kind: 'regex', pattern } });

    it.each([
      ['no pattern', regex(undefined), 'is required by the regex validator'],
      ['a pattern that is not a string', regex(5), 'must be a non-empty string, not a number'],
      ['an empty pattern', regex(''), 'must be a non-empty string, not an empty one'],
      ['a pattern over 200 characters', regex('a'.repeat(201)), 'must be at most 200 characters'],
      ['a pattern that does not compile', regex('([a-z]'), 'is not a valid regular expression'],
    ])('is refused with %s', (_, node, problem) => refuses(node, 'validate.pattern', problem));

    it('accepts a pattern of exactly 200 characters', () => accepts(regex('a'.repeat(200))));

    it('a pattern is refused on other validators', () => {
      refuses(question({ validate: { kind: 'email', pattern: '.*' } }), 'validate.pattern', 'is only used by the regex validator');
    });
  });

  describe('min and max', () => {
    it.each([
      ['a text min that is negative', { kind: 'text', min: -1 }, 'validate.min', 'must be a whole number of characters from 0 to 4096'],
      ['a text max that is not whole', { kind: 'text', max: 2.5 }, 'validate.max', 'must be a whole number of characters from 0 to 4096'],
      ['a text max over 4096', { kind: 'text', max: 5000 }, 'validate.max', 'must be a whole number of characters from 0 to 4096'],
      ['a number min that is text', { kind: 'number', min: '1' }, 'validate.min', 'must be a number'],
      ['a number max that is not finite (not JSON)', { kind: 'number', max: Number.POSITIVE_INFINITY }, 'validate.max', 'must be a number'],
      ['min over max', { kind: 'number', min: 10, max: 1 }, 'validate.min', 'must not be greater than max (1)'],
      ['bounds on an email validator', { kind: 'email', max: 5 }, 'validate.max', 'is only used by the text (length) and number (value) validators'],
      ['bounds on a choice validator', { kind: 'choice', options: ['a'], min: 1 }, 'validate.min', 'is only used by the text (length) and number (value) validators'],
    ])('are refused with %s', (_, validate, field, problem) => refuses(question({ validate }), field, problem));

    it('min may equal max', () => accepts(question({ validate: { kind: 'text', min: 3, max: 3 } })));
  });
});

describe('condition node', () => {
  const eq = { var: 'plan', op: '==', value: 'pro' };

  it('accepts comparisons with every operator, and nested groups', () => {
    accepts(
      condition({
        all: [
          eq,
          { var: 'age', op: '!=', value: 3 },
          { var: 'age', op: '>', value: 1 },
          { var: 'age', op: '<', value: '10' },
          { var: 'age', op: '>=', value: 1.5 },
          { var: 'day', op: '<=', value: '2025-01-01' },
          { var: 'plan', op: 'in', value: ['pro', 2, true] },
          { var: 'plan', op: 'not_in', value: ['basic'] },
          { var: 'email', op: 'contains', value: '@bigco.com' },
          { any: [{ var: 'contact.name', op: '==', value: null }, { all: [{ var: 'order.status', op: '==', value: false }] }] },
        ],
      }),
    );
  });

  it.each([
    ['no branches', condition(eq, { branches: undefined }), 'branches', 'is required'],
    ['an empty branch list', condition(eq, { branches: [] }), 'branches', 'must have at least 1 branch'],
    ['a branch that is not an object', condition(eq, { branches: ['x'] }), 'branches[0]', 'must be an object { when, next }, not a string'],
    ['an unknown branch field', condition(eq, { branches: [{ when: eq, next: 'a', label: 'x' }] }), 'branches[0].label', expect.stringContaining('is not a known field')],
    ['a branch without next', condition(eq, { branches: [{ when: eq }] }), 'branches[0].next', 'is required: each branch leads somewhere'],
    ['no else', condition(eq, { else: undefined }), 'else', 'is required: a condition goes to else when no branch holds'],
    ['no when', condition(undefined), 'branches[0].when', 'is required: a comparison { var, op, value } or a group { all: [...] } / { any: [...] }'],
    ['a when that is not an object', condition(['x']), 'branches[0].when', 'must be an object, not an array: a comparison { var, op, value } or a group { all: [...] } / { any: [...] }'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

  it('has at most 50 branches', () => {
    const branches = Array.from({ length: 51 }, () => ({ when: eq, next: 'a' }));
    refuses(condition(eq, { branches }), 'branches', 'must have at most 50 branches (got 51)');
  });

  describe('comparisons', () => {
    const at = 'branches[0].when';

    it.each([
      ['no var', { op: '==', value: 1 }, `${at}.var`, 'is required'],
      ['a var that is not a name', { var: 'a b', op: '==', value: 1 }, `${at}.var`, 'must be a variable name such as email, contact.name or order.status'],
      ['a var with two dots', { var: 'a.b.c', op: '==', value: 1 }, `${at}.var`, 'must be a variable name such as email, contact.name or order.status'],
      ['no op', { var: 'a', value: 1 }, `${at}.op`, 'is required: one of ==, !=, >, <, >=, <=, in, not_in, contains'],
      ['an unknown op', { var: 'a', op: '===', value: 1 }, `${at}.op`, 'must be one of ==, !=, >, <, >=, <=, in, not_in, contains'],
      ['no value', { var: 'a', op: '==' }, `${at}.value`, 'is required (null tests for a missing variable)'],
      ['an unknown field', { var: 'a', op: '==', value: 1, not: true }, `${at}.not`, expect.stringContaining('is not a known field')],
      ['a list for ==', { var: 'a', op: '==', value: [1] }, `${at}.value`, 'must be a single value: only in and not_in take a list'],
      ['a single value for in', { var: 'a', op: 'in', value: 'x' }, `${at}.value`, 'must be a list, not a string'],
      ['an empty list for not_in', { var: 'a', op: 'not_in', value: [] }, `${at}.value`, 'must have at least 1 value'],
      ['a list item that is an object', { var: 'a', op: 'in', value: [{}] }, `${at}.value[0]`, 'must be a string, a number or a boolean, not an object'],
      ['a null list item', { var: 'a', op: 'in', value: [null] }, `${at}.value[0]`, 'must be a string, a number or a boolean, not null'],
      ['null for >', { var: 'a', op: '>', value: null }, `${at}.value`, 'must be a number or a text to compare > with, not null'],
      ['a boolean for <=', { var: 'a', op: '<=', value: true }, `${at}.value`, 'must be a number or a text to compare <= with, not a boolean'],
      ['an object value', { var: 'a', op: 'contains', value: { x: 1 } }, `${at}.value`, 'must be a string, a number or a boolean, not an object'],
      ['a value over 1024 characters', { var: 'a', op: '==', value: 'v'.repeat(1025) }, `${at}.value`, 'must be at most 1024 characters'],
      ['a number that is not finite (not JSON)', { var: 'a', op: '==', value: Number.NaN }, `${at}.value`, 'must be a finite number'],
    ])('are refused with %s', (_, when, field, problem) => refuses(condition(when), field, problem));

    it('take at most 100 values in a list', () => {
      refuses(condition({ var: 'a', op: 'in', value: Array.from({ length: 101 }, (_, i) => i) }), `${at}.value`, 'must have at most 100 values (got 101)');
    });
  });

  describe('groups', () => {
    it.each([
      ['an empty all', { all: [] }, 'branches[0].when.all', 'must have at least 1 condition'],
      ['an any that is not a list', { any: eq }, 'branches[0].when.any', 'must be a list, not an object'],
      ['both all and any', { all: [eq], any: [eq] }, 'branches[0].when.any', expect.stringContaining('is not a known field')],
      ['a group mixed with a comparison', { all: [eq], var: 'x' }, 'branches[0].when.var', expect.stringContaining('is not a known field')],
      ['a problem deep inside', { all: [eq, { any: [{ var: 'a', op: 'like', value: 1 }] }] }, 'branches[0].when.all[1].any[0].op', expect.stringContaining('must be one of')],
    ])('are refused with %s', (_, when, field, problem) => refuses(condition(when), field, problem));

    it('hold at most 50 conditions', () => {
      refuses(condition({ any: Array.from({ length: 51 }, () => eq) }), 'branches[0].when.any', 'must have at most 50 conditions (got 51)');
    });

    it('nest at most 8 levels deep', () => {
      const nest = (levels: number) => {
        let when: unknown = eq;
        for (let i = 0; i < levels; i += 1) when = { all: [when] };
        return when;
      };
      accepts(condition(nest(8)));
      refuses(condition(nest(9)), `branches[0].when${'.all[0]'.repeat(8)}.all`, 'nests groups too deeply: at most 8 levels');
    });

    it('refuse a hostile nesting 100,000 levels deep without exhausting the stack', () => {
      let when: unknown = eq;
      for (let i = 0; i < 100_000; i += 1) when = { any: [when] };
      expect(fieldsOf(condition(when))).toEqual([`branches[0].when${'.any[0]'.repeat(8)}.any`]);
    });
  });
});

describe('set node', () => {
  const set = (overrides: Node = {}): Node => ({ id: 'n', type: 'set', var: 'tier', value: 'vip', next: 'a', ...overrides });

  it.each(['text {{name}}', 0, -2.5, true, false, null])('accepts the value %j', (value) => accepts(set({ value })));

  it.each([
    ['no var', set({ var: undefined }), 'var', 'is required'],
    ['a var that is not a name', set({ var: 'a.b' }), 'var', 'must be a variable name: a letter or _ then letters, digits or _ (at most 64)'],
    ['a reserved var', set({ var: 'last_input' }), 'var', '"last_input" is reserved: choose another name'],
    ['no value', { id: 'n', type: 'set', var: 'x', next: 'a' }, 'value', 'is required (null clears the variable)'],
    ['an object value', set({ value: { a: 1 } }), 'value', 'must be a text, a number, a boolean or null, not an object'],
    ['a list value', set({ value: ['a'] }), 'value', 'must be a text, a number, a boolean or null, not an array'],
    ['a number that is not finite (not JSON)', set({ value: Number.POSITIVE_INFINITY }), 'value', 'must be a text, a number, a boolean or null, not a number'],
    ['a text over 4096 characters', set({ value: 'v'.repeat(4097) }), 'value', 'must be at most 4096 characters'],
    ['no next', set({ next: undefined }), 'next', 'is required: a set node continues to next'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));
});

describe('jump node', () => {
  it('accepts to or flow', () => {
    accepts({ id: 'n', type: 'jump', to: 'a' });
    accepts({ id: 'n', type: 'jump', flow: '3f1e2d6c-0000-4000-8000-000000000000' });
  });

  it.each([
    ['neither to nor flow', { id: 'n', type: 'jump' }, 'to', "is required: a jump needs to (a node's id) or flow (another flow's id)"],
    ['both to and flow', { id: 'n', type: 'jump', to: 'a', flow: 'f' }, 'flow', 'cannot be used together with to: a jump goes to a node or to another flow'],
    ['a blank flow', { id: 'n', type: 'jump', flow: ' ' }, 'flow', 'must not be blank'],
    ['a flow over 200 characters', { id: 'n', type: 'jump', flow: 'f'.repeat(201) }, 'flow', 'must be at most 200 characters'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));
});

describe('template node', () => {
  it('accepts positional, named, header and button parameters', () => {
    accepts(template({ parameters: { body: ['{{name}}', 'x'] } }));
    accepts(template({ language: 'pt_BR', parameters: { header: '{{name}}', body: { first_name: '{{name}}' }, buttons: [null, 'code'] } }));
    accepts(template({ parameters: { header: { link: 'https://cdn.test/a.png' } } }));
    accepts(template({ parameters: { header: { latitude: -23.5, longitude: -46.6, name: 'Shop' } } }));
  });

  it.each([
    ['no template name', template({ template: undefined }), 'template', 'is required'],
    ['a name with capitals', template({ template: 'Welcome' }), 'template', 'must be a template name: lowercase letters, digits and _'],
    ['no language', template({ language: undefined }), 'language', 'is required'],
    ['a bad language code', template({ language: 'english' }), 'language', 'must be at most 6 characters'],
    ['a malformed language code', template({ language: 'en-US' }), 'language', 'must be a language code such as en or en_US'],
    ['parameters that are not an object', template({ parameters: ['x'] }), 'parameters', 'must be an object, not an array'],
    ['an unknown parameter group', template({ parameters: { footer: 'x' } }), 'parameters.footer', expect.stringContaining('is not a known field')],
    ['a header that is a number', template({ parameters: { header: 5 } }), 'parameters.header', 'must be a text or an object (media or location), not a number'],
    ['a blank header', template({ parameters: { header: ' ' } }), 'parameters.header', 'must not be blank'],
    ['an unknown header field', template({ parameters: { header: { url: 'https://x' } } }), 'parameters.header.url', expect.stringContaining('is not a known field')],
    ['a header field that is an object', template({ parameters: { header: { link: {} } } }), 'parameters.header.link', 'must be a text or a number, not an object'],
    ['a header field that is not finite (not JSON)', template({ parameters: { header: { latitude: Number.NaN } } }), 'parameters.header.latitude', 'must be a text or a number, not a number'],
    ['a body that is text', template({ parameters: { body: 'x' } }), 'parameters.body', 'must be a list (positional) or an object keyed by placeholder name, not a string'],
    ['a body value that is a number', template({ parameters: { body: [1] } }), 'parameters.body[0]', 'must be a string, not a number'],
    ['a body value over 1024 characters', template({ parameters: { body: ['b'.repeat(1025)] } }), 'parameters.body[0]', 'must be at most 1024 characters'],
    ['a body key that is not a placeholder name', template({ parameters: { body: { 'First Name': 'x' } } }), 'parameters.body.First Name', 'is not a placeholder name: lowercase letters, digits and _'],
    ['a named body value that is blank', template({ parameters: { body: { name: '' } } }), 'parameters.body.name', 'must not be blank'],
    ['buttons that are not a list', template({ parameters: { buttons: 'x' } }), 'parameters.buttons', 'must be a list, not a string'],
    ['a button value that is a number', template({ parameters: { buttons: [1] } }), 'parameters.buttons[0]', 'must be a string, not a number'],
    ['no next', template({ next: undefined }), 'next', 'is required: a template continues to next once sent'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

  it('takes at most 100 body values and 10 button values', () => {
    refuses(template({ parameters: { body: Array.from({ length: 101 }, () => 'x') } }), 'parameters.body', 'must have at most 100 values (got 101)');
    const named = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'x']));
    refuses(template({ parameters: { body: named } }), 'parameters.body', 'must have at most 100 values (got 101)');
    refuses(template({ parameters: { buttons: Array.from({ length: 11 }, () => 'x') } }), 'parameters.buttons', 'must have at most 10 button values (got 11)');
  });
});

describe('http node', () => {
  it('accepts every field', () => {
    accepts(
      http({
        method: 'POST',
        url: 'https://api.test/orders/{{order_id}}?email={{email}}',
        headers: { Authorization: 'Bearer {{token}}', 'X-Trace': 'flow' },
        body: { order: '{{order_id}}', items: [1, 'two', null, true, { deep: [] }] },
        saveAs: 'order',
        timeoutMs: 30_000,
        onError: 'b',
      }),
    );
    accepts(http({ method: 'GET', url: 'http://localhost:8080/ping', timeoutMs: 100 }));
  });

  it.each([
    ['an unknown method', http({ method: 'get' }), 'method', 'must be one of GET, POST, PUT, PATCH, DELETE'],
    ['no url', http({ url: undefined }), 'url', 'is required'],
    ['a url over 2048 characters', http({ url: `https://api.test/${'p'.repeat(2040)}` }), 'url', 'must be at most 2048 characters'],
    ['a url that is not http(s)', http({ url: 'ftp://api.test/x' }), 'url', expect.stringContaining('must be an http:// or https:// URL')],
    ['a placeholder in the host', http({ url: 'https://{{host}}/x' }), 'url', expect.stringContaining('placeholders only in the path or query')],
    ['a placeholder right after the host', http({ url: 'https://api.test{{path}}' }), 'url', expect.stringContaining('placeholders only in the path or query')],
    ['credentials in the url', http({ url: 'https://user:pass@api.test/x' }), 'url', expect.stringContaining('must be an http:// or https:// URL')],
    ['a url that does not parse', http({ url: 'https://api.test:port/x' }), 'url', 'is not a valid URL'],
    ['headers that are not an object', http({ headers: ['Accept'] }), 'headers', 'must be an object, not an array'],
    ['a bad header name', http({ headers: { 'Bad Name': 'x' } }), 'headers.Bad Name', 'is not a valid header name'],
    ['a header name over 100 characters', http({ headers: { ['h'.repeat(101)]: 'x' } }), `headers.${'h'.repeat(60)}…`, 'is not a valid header name'],
    ['a header value that is not text', http({ headers: { Accept: 1 } }), 'headers.Accept', 'must be a string, not a number'],
    ['a header value over 1024 characters', http({ headers: { Accept: 'a'.repeat(1025) } }), 'headers.Accept', 'must be at most 1024 characters'],
    ['a body with GET', http({ method: 'GET', body: { a: 1 } }), 'body', 'is not sent with GET: use POST, PUT, PATCH or DELETE'],
    ['a body without a method (GET)', http({ body: 'x' }), 'body', 'is not sent with GET: use POST, PUT, PATCH or DELETE'],
    ['a body text over 4096 characters', http({ method: 'POST', body: { a: 'b'.repeat(4097) } }), 'body', 'must not hold texts longer than 4096 characters'],
    ['a body that is not JSON', http({ method: 'PUT', body: { run: () => 1 } }), 'body', 'must be JSON: a function is not a JSON value'],
    ['a body number that is not finite', http({ method: 'PUT', body: [Number.NaN] }), 'body', 'must be JSON: a number is not a JSON value'],
    ['an invalid saveAs', http({ saveAs: 'a b' }), 'saveAs', expect.stringContaining('must be a variable name')],
    ['a timeout under 100 ms', http({ timeoutMs: 99 }), 'timeoutMs', 'must be a whole number from 100 to 30000'],
    ['a timeout over 30 s', http({ timeoutMs: 30_001 }), 'timeoutMs', 'must be a whole number from 100 to 30000'],
    ['no next', http({ next: undefined }), 'next', 'is required: an http node continues to next when the request succeeds'],
    ['an onError that is not a node id', http({ onError: 3 }), 'onError', 'must be the id of a node'],
  ])('is refused with %s', (_, node, field, problem) => refuses(node, field, problem));

  it('takes at most 20 headers', () => {
    const headers = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']));
    refuses(http({ headers }), 'headers', 'must have at most 20 headers (got 21)');
  });

  it('takes a body at most 10 levels deep and of at most 1000 values', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10; i += 1) deep = [deep];
    accepts(http({ method: 'POST', body: deep }));
    refuses(http({ method: 'POST', body: [deep] }), 'body', 'nests too deeply: at most 10 levels');
    accepts(http({ method: 'POST', body: Array.from({ length: 999 }, () => 1) }));
    refuses(http({ method: 'POST', body: Array.from({ length: 1000 }, () => 1) }), 'body', 'must hold at most 1000 values');
  });
});

describe('handoff and end nodes', () => {
  it.each(['handoff', 'end'])('a %s node takes an optional text of at most 4096 characters', (type) => {
    accepts({ id: 'n', type });
    accepts({ id: 'n', type, text: 'Bye {{name}}' });
    refuses({ id: 'n', type, text: 'x'.repeat(4097) }, 'text', 'must be at most 4096 characters');
  });

  it('an end node has no way forward: next is an unknown field', () => {
    refuses({ id: 'n', type: 'end', next: 'a' }, 'next', 'is not a known field here (known: id, type, text)');
  });
});

it('the fixtures themselves are valid', () => {
  expectValid({ start: 'a', nodes: [TARGETS[0]] });
});
