import { AppError, ErrorCode } from '../../src/domain/errors';
import {
  InputProblems,
  MAX_REPORTED_PROBLEMS,
  OUTBOUND_LIMITS as L,
  charLength,
  validateOutboundContent,
  type InputProblem,
  type OutboundContent,
} from '../../src/domain/outbound-limits';

/** The problems validateOutboundContent reports (fails the test when it accepts the content). */
function problemsOf(content: unknown): InputProblem[] {
  try {
    validateOutboundContent(content as OutboundContent);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe(ErrorCode.BAD_USER_INPUT);
    const problems = appError.extensions.problems as InputProblem[];
    expect(appError.extensions.field).toBe(problems[0]!.field);
    return problems;
  }
  throw new Error('Expected validateOutboundContent to refuse this content');
}

const fieldsOf = (content: unknown) => problemsOf(content).map((p) => p.field);

const accepts = (content: unknown) => expect(() => validateOutboundContent(content as OutboundContent)).not.toThrow();

const buttons = (overrides: Record<string, unknown> = {}) => ({
  kind: 'buttons',
  text: 'Pick one',
  buttons: [
    { id: 'yes', title: 'Yes' },
    { id: 'no', title: 'No' },
  ],
  ...overrides,
});

const rows = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));

const list = (overrides: Record<string, unknown> = {}) => ({
  kind: 'list',
  text: 'Choose a plan',
  button: 'Plans',
  sections: [{ title: 'Plans', rows: rows(2) }],
  ...overrides,
});

const media = (overrides: Record<string, unknown> = {}) => ({
  kind: 'media',
  mediaKind: 'image',
  link: 'https://cdn.example.com/a.jpg',
  ...overrides,
});

describe('charLength', () => {
  it('counts code points, so an emoji is one character', () => {
    expect(charLength('héllo')).toBe(5);
    expect(charLength('👍🏽')).toBe(2);
    expect(charLength('a😀b')).toBe(3);
  });

  it('counts a lone surrogate as one character', () => {
    expect(charLength('\uD83D')).toBe(1);
    expect(charLength('a\uDE00b')).toBe(3);
    expect(charLength('\uD83Da')).toBe(2);
  });

  it('stops counting past the limit but still reports the text as too long', () => {
    expect(charLength('x'.repeat(10_000_000), 10)).toBeGreaterThan(10);
    expect(charLength('😀'.repeat(11), 10)).toBeGreaterThan(10);
    expect(charLength('😀'.repeat(10), 10)).toBe(10);
  });
});

describe('InputProblems', () => {
  it('does not throw when empty', () => {
    expect(() => new InputProblems().throwIfAny()).not.toThrow();
  });

  it('names the first field and counts the others in the message', () => {
    const problems = new InputProblems();
    problems.add('a', 'is bad');
    problems.add('b', 'is worse');
    expect(() => problems.throwIfAny()).toThrow('a is bad (and 1 more problem)');
  });

  it('reports at most MAX_REPORTED_PROBLEMS and counts the rest', () => {
    const problems = new InputProblems();
    for (let i = 0; i < 10_000; i += 1) problems.add(`f${i}`, 'is bad');
    try {
      problems.throwIfAny();
      throw new Error('expected a throw');
    } catch (error) {
      const { extensions, message } = error as AppError;
      expect(extensions.problems).toHaveLength(MAX_REPORTED_PROBLEMS);
      expect(extensions.problemsOmitted).toBe(10_000 - MAX_REPORTED_PROBLEMS);
      expect(message).toBe('f0 is bad (and 9999 more problems)');
    }
  });
});

describe('validateOutboundContent', () => {
  describe('content', () => {
    it.each([null, undefined, 'hello', 42, ['text']])('refuses %j as content', (content) => {
      expect(fieldsOf(content)).toEqual(['content']);
    });

    it.each(['sms', undefined, '__proto__', 'TEXT'])('refuses the kind %j', (kind) => {
      expect(fieldsOf({ kind, text: 'hi' })).toEqual(['kind']);
    });
  });

  describe('text', () => {
    it('accepts text up to 4096 characters, emoji counted once', () => {
      accepts({ kind: 'text', text: 'x'.repeat(L.textBody) });
      accepts({ kind: 'text', text: '😀'.repeat(L.textBody) });
      accepts({ kind: 'text', text: 'see https://example.com', previewUrl: true });
    });

    it('refuses text over 4096 characters, naming the field and the limit', () => {
      const [problem] = problemsOf({ kind: 'text', text: 'x'.repeat(L.textBody + 1) });
      expect(problem).toEqual({ field: 'text', message: 'must be at most 4096 characters' });
    });

    it('refuses a ten-megabyte text quickly by length alone', () => {
      expect(fieldsOf({ kind: 'text', text: 'x'.repeat(10_000_000) })).toEqual(['text']);
    });

    it.each(['', '   ', '\n\t '])('refuses blank text %j', (text) => {
      expect(problemsOf({ kind: 'text', text })).toEqual([{ field: 'text', message: 'must not be blank' }]);
    });

    it.each([
      [undefined, 'is required'],
      [null, 'is required'],
      [42, 'must be a string, not a number'],
      [['hi'], 'must be a string, not an array'],
      [{ body: 'hi' }, 'must be a string, not an object'],
    ])('refuses the text %j', (text, message) => {
      expect(problemsOf({ kind: 'text', text })).toEqual([{ field: 'text', message }]);
    });

    it('refuses a previewUrl that is not a boolean', () => {
      expect(fieldsOf({ kind: 'text', text: 'hi', previewUrl: 'yes' })).toEqual(['previewUrl']);
    });
  });

  describe('buttons', () => {
    it('accepts 1 to 3 buttons with a header and footer', () => {
      accepts(buttons({ buttons: [{ id: 'a', title: 'A' }] }));
      accepts(buttons({ buttons: rows(3).map(({ id, title }) => ({ id, title })), header: 'Hi', footer: 'Bye' }));
    });

    it('accepts titles of 20 characters and ids of 256', () => {
      accepts(buttons({ buttons: [{ id: 'i'.repeat(L.buttonId), title: 't'.repeat(L.buttonTitle) }] }));
    });

    it('refuses no buttons and more than 3', () => {
      expect(problemsOf(buttons({ buttons: [] }))).toEqual([{ field: 'buttons', message: 'must have at least 1 button' }]);
      expect(problemsOf(buttons({ buttons: rows(4) }))).toEqual([{ field: 'buttons', message: 'must have at most 3 buttons (got 4)' }]);
    });

    it('refuses 10,000 buttons with one problem, not ten thousand', () => {
      expect(fieldsOf(buttons({ buttons: rows(10_000) }))).toEqual(['buttons']);
    });

    it('refuses a body over 1024 characters, the reply-button limit', () => {
      expect(fieldsOf(buttons({ text: 'x'.repeat(L.buttonsBody + 1) }))).toEqual(['text']);
    });

    it('refuses a title over 20 characters and an id over 256, naming the button', () => {
      const content = buttons({
        buttons: [
          { id: 'ok', title: 'Fine' },
          { id: 'x'.repeat(L.buttonId + 1), title: 't'.repeat(L.buttonTitle + 1) },
        ],
      });
      expect(fieldsOf(content)).toEqual(['buttons[1].id', 'buttons[1].title']);
    });

    it('refuses repeated titles and repeated ids', () => {
      const content = buttons({
        buttons: [
          { id: 'a', title: 'Same' },
          { id: 'a', title: 'Same' },
        ],
      });
      expect(problemsOf(content)).toEqual([
        { field: 'buttons[1].id', message: 'repeats the id "a" of another button' },
        { field: 'buttons[1].title', message: 'repeats the title "Same" of another button' },
      ]);
    });

    it('refuses blank or missing ids and titles', () => {
      expect(fieldsOf(buttons({ buttons: [{ id: ' ', title: '' }, { title: 'B' }] }))).toEqual([
        'buttons[0].id',
        'buttons[0].title',
        'buttons[1].id',
      ]);
    });

    it('refuses a header or footer over 60 characters or blank', () => {
      expect(fieldsOf(buttons({ header: 'h'.repeat(61), footer: ' ' }))).toEqual(['header', 'footer']);
    });

    it('refuses buttons that are not objects and a buttons field that is not a list', () => {
      expect(fieldsOf(buttons({ buttons: [null, 'Yes', ['a']] }))).toEqual(['buttons[0]', 'buttons[1]', 'buttons[2]']);
      expect(fieldsOf(buttons({ buttons: { id: 'a', title: 'A' } }))).toEqual(['buttons']);
      expect(problemsOf(buttons({ buttons: undefined }))).toEqual([{ field: 'buttons', message: 'is required' }]);
    });
  });

  describe('list', () => {
    it('accepts up to 10 sections with 10 rows in all, each at its limits', () => {
      accepts(list());
      accepts(list({ sections: [{ rows: rows(10) }] }));
      accepts(
        list({
          header: 'h'.repeat(L.interactiveHeader),
          footer: 'f'.repeat(L.interactiveFooter),
          button: 'b'.repeat(L.listButton),
          text: 'x'.repeat(L.listBody),
          sections: Array.from({ length: 10 }, (_, i) => ({
            title: 's'.repeat(L.listSectionTitle),
            rows: [
              {
                id: `${i}`.padEnd(L.listRowId, 'i'),
                title: 't'.repeat(L.listRowTitle),
                description: 'd'.repeat(L.listRowDescription),
              },
            ],
          })),
        }),
      );
    });

    it('refuses more than 10 rows in all, even spread over sections', () => {
      const content = list({
        sections: [
          { title: 'A', rows: rows(6, 'a') },
          { title: 'B', rows: rows(5, 'b') },
        ],
      });
      expect(problemsOf(content)).toEqual([{ field: 'list.sections', message: 'must have at most 10 rows in all (got 11)' }]);
    });

    it('refuses no sections, more than 10 sections, and a section without rows', () => {
      expect(fieldsOf(list({ sections: [] }))).toEqual(['list.sections']);
      const eleven = Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, title: 'R' }] }));
      expect(problemsOf(list({ sections: eleven }))[0]).toEqual({
        field: 'list.sections',
        message: 'must have at most 10 sections (got 11)',
      });
      expect(fieldsOf(list({ sections: [{ title: 'A', rows: [] }] }))).toEqual(['list.sections[0].rows']);
    });

    it('requires section titles only when there are several sections', () => {
      accepts(list({ sections: [{ rows: rows(1) }] }));
      const content = list({ sections: [{ rows: rows(1, 'a') }, { title: 'B', rows: rows(1, 'b') }] });
      expect(fieldsOf(content)).toEqual(['list.sections[0].title']);
    });

    it('refuses a section title over 24 characters', () => {
      expect(fieldsOf(list({ sections: [{ title: 's'.repeat(25), rows: rows(1) }] }))).toEqual(['list.sections[0].title']);
    });

    it('refuses row ids over 200, titles over 24 and descriptions over 72 characters, naming the row', () => {
      const row = { id: 'i'.repeat(201), title: 't'.repeat(25), description: 'd'.repeat(73) };
      expect(fieldsOf(list({ sections: [{ rows: [rows(1)[0], row] }] }))).toEqual([
        'list.sections[0].rows[1].id',
        'list.sections[0].rows[1].title',
        'list.sections[0].rows[1].description',
      ]);
    });

    it('refuses row ids repeated across sections', () => {
      const content = list({
        sections: [
          { title: 'A', rows: [{ id: 'same', title: 'One' }] },
          { title: 'B', rows: [{ id: 'x', title: 'Two' }, { id: 'same', title: 'Three' }] },
        ],
      });
      expect(problemsOf(content)).toEqual([
        { field: 'list.sections[1].rows[1].id', message: 'repeats the id "same" of another row' },
      ]);
    });

    it('refuses a missing, blank or over-20-character button label', () => {
      expect(fieldsOf(list({ button: undefined }))).toEqual(['list.button']);
      expect(fieldsOf(list({ button: ' ' }))).toEqual(['list.button']);
      expect(fieldsOf(list({ button: 'b'.repeat(21) }))).toEqual(['list.button']);
    });

    it('refuses a body over 4096 characters, a header or footer over 60', () => {
      expect(fieldsOf(list({ text: 'x'.repeat(4097), header: 'h'.repeat(61), footer: 'f'.repeat(61) }))).toEqual([
        'text',
        'header',
        'footer',
      ]);
    });

    it('refuses wrong types for sections, rows and rows items', () => {
      expect(fieldsOf(list({ sections: 'all' }))).toEqual(['list.sections']);
      expect(fieldsOf(list({ sections: [null] }))).toEqual(['list.sections[0]']);
      expect(fieldsOf(list({ sections: [{ rows: { id: 'a' } }] }))).toEqual(['list.sections[0].rows']);
      expect(problemsOf(list({ sections: [{ title: 'A' }] }))).toEqual([{ field: 'list.sections[0].rows', message: 'is required' }]);
      expect(fieldsOf(list({ sections: [{ rows: [42, { id: 7, title: 'x' }] }] }))).toEqual([
        'list.sections[0].rows[0]',
        'list.sections[0].rows[1].id',
      ]);
    });

    it('checks only 10 rows of a hostile list of 10,000 rows', () => {
      const problems = problemsOf(list({ sections: [{ rows: Array.from({ length: 10_000 }, () => ({ id: '', title: '' })) }] }));
      expect(problems.filter((p) => p.field.endsWith('.id'))).toHaveLength(10);
      expect(problems.at(-1)).toEqual({ field: 'list.sections', message: 'must have at most 10 rows in all (got 10000)' });
    });
  });

  describe('media', () => {
    it('accepts a link or an id for every kind', () => {
      for (const mediaKind of ['image', 'video', 'audio', 'document', 'sticker']) {
        accepts(media({ mediaKind }));
        accepts(media({ mediaKind, link: undefined, id: '1234567890' }));
      }
    });

    it('accepts a caption of 1024 characters on images, videos and documents and a filename on documents', () => {
      accepts(media({ caption: 'c'.repeat(L.mediaCaption) }));
      accepts(media({ mediaKind: 'video', caption: 'Watch' }));
      accepts(media({ mediaKind: 'document', caption: 'Your invoice', filename: 'invoice.pdf' }));
    });

    it('refuses both a link and an id, and neither', () => {
      expect(problemsOf(media({ id: '123' }))).toEqual([
        { field: 'media.id', message: 'exactly one of media.link and media.id is required' },
      ]);
      expect(problemsOf(media({ link: undefined }))).toEqual([
        { field: 'media.link', message: 'exactly one of media.link and media.id is required' },
      ]);
    });

    it.each([
      'http://cdn.example.com/a.jpg',
      'ftp://cdn.example.com/a.jpg',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:image/png;base64,AAAA',
      'https://',
      'https://user:secret@cdn.example.com/a.jpg',
      'https://cdn.example.com/a b.jpg',
      '//cdn.example.com/a.jpg',
      'cdn.example.com/a.jpg',
    ])('refuses the link %j: only https URLs', (link) => {
      expect(problemsOf(media({ link }))).toEqual([{ field: 'media.link', message: 'must be an https:// URL' }]);
    });

    it('refuses a link over 2048 characters and an id with spaces or over 256', () => {
      expect(fieldsOf(media({ link: `https://cdn.example.com/${'a'.repeat(2048)}` }))).toEqual(['media.link']);
      expect(fieldsOf(media({ link: undefined, id: '12 34' }))).toEqual(['media.id']);
      expect(fieldsOf(media({ link: undefined, id: '1'.repeat(257) }))).toEqual(['media.id']);
      expect(fieldsOf(media({ link: undefined, id: 42 }))).toEqual(['media.id']);
    });

    it.each(['audio', 'sticker'])('refuses a caption on %s', (mediaKind) => {
      expect(problemsOf(media({ mediaKind, caption: 'hi' }))).toEqual([
        { field: 'media.caption', message: `is not allowed for ${mediaKind} messages` },
      ]);
    });

    it('refuses a caption over 1024 characters or blank', () => {
      expect(fieldsOf(media({ caption: 'c'.repeat(1025) }))).toEqual(['media.caption']);
      expect(fieldsOf(media({ caption: '' }))).toEqual(['media.caption']);
    });

    it('refuses a filename on anything but a document, and an overlong one', () => {
      expect(problemsOf(media({ filename: 'a.jpg' }))).toEqual([{ field: 'media.filename', message: 'is only allowed for documents' }]);
      expect(fieldsOf(media({ mediaKind: 'document', filename: 'f'.repeat(241) }))).toEqual(['media.filename']);
    });

    it.each(['gif', undefined, 'IMAGE'])('refuses the media kind %j', (mediaKind) => {
      expect(fieldsOf(media({ mediaKind }))[0]).toBe('media.mediaKind');
    });
  });
});
