import { AppError, ErrorCode } from './errors';

/**
 * WhatsApp's limits on what a business may send (notes/meta-cloud-api.md sections 7 and 9).
 * Lengths are in characters, counted as Unicode code points (see `charLength`).
 */
export const OUTBOUND_LIMITS = {
  textBody: 4096,
  mediaCaption: 1024,
  /** Reply-button messages allow a shorter body than lists and plain text. */
  buttonsBody: 1024,
  buttonsMin: 1,
  buttonsMax: 3,
  buttonTitle: 20,
  buttonId: 256,
  /** Text header and footer of interactive messages (reply buttons and lists). */
  interactiveHeader: 60,
  interactiveFooter: 60,
  listButton: 20,
  listBody: 4096,
  listSectionsMin: 1,
  listSectionsMax: 10,
  listSectionTitle: 24,
  /** Counted over all sections together. */
  listRowsMin: 1,
  listRowsMax: 10,
  listRowId: 200,
  listRowTitle: 24,
  listRowDescription: 72,
  /** Our bounds, not Meta's: they keep hostile input small; real links, ids and names fit. */
  mediaLink: 2048,
  mediaId: 256,
  mediaFilename: 240,
} as const;

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';
export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'document', 'sticker'];

export type OutboundContent =
  | { kind: 'text'; text: string; previewUrl?: boolean }
  | { kind: 'buttons'; text: string; buttons: { id: string; title: string }[]; header?: string; footer?: string }
  | {
      kind: 'list';
      text: string;
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
      header?: string;
      footer?: string;
    }
  | { kind: 'media'; mediaKind: MediaKind; link?: string; id?: string; caption?: string; filename?: string };

// ---------------------------------------------------------------------------------------------
// Shared by the domain validators (this file and template-rules.ts).

export interface InputProblem {
  field: string;
  message: string;
}

/** Hostile input can hold thousands of mistakes; the error reports this many and counts the rest. */
export const MAX_REPORTED_PROBLEMS = 50;

/**
 * Collects every problem of one input, so a client fixes them in one round trip, then throws a
 * single BAD_USER_INPUT whose `field` is the first problem's (what `badInput` gives) and whose
 * `problems` lists them all.
 */
export class InputProblems {
  private readonly list: InputProblem[] = [];
  private omitted = 0;

  add(field: string, message: string): void {
    if (this.list.length < MAX_REPORTED_PROBLEMS) this.list.push({ field, message });
    else this.omitted += 1;
  }

  get count(): number {
    return this.list.length + this.omitted;
  }

  throwIfAny(): void {
    const first = this.list[0];
    if (!first) return;
    const more = this.count - 1;
    const suffix = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${first.field} ${first.message}${suffix}`, {
      field: first.field,
      problems: [...this.list],
      ...(this.omitted > 0 ? { problemsOmitted: this.omitted } : {}),
    });
  }
}

/**
 * Length in Unicode code points, the unit people count in: an emoji is one character, where UTF-16
 * would count two. Meta does not say which unit it counts; for text without astral characters the
 * two agree. Counting stops past `limit`, so a megabyte string costs no more than a short one: the
 * result is exact up to `limit`; above it, it only tells that the text is too long.
 */
export function charLength(value: string, limit = Number.POSITIVE_INFINITY): number {
  if (value.length <= limit) return countCodePoints(value, value.length);
  // Every code point is at most two UTF-16 units.
  if (value.length > 2 * limit + 1) return value.length;
  return countCodePoints(value, limit + 1);
}

function countCodePoints(value: string, stopAt: number): number {
  let count = 0;
  for (let i = 0; i < value.length && count < stopAt; i += 1) {
    const unit = value.charCodeAt(i);
    const isPair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length;
    if (isPair) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface TextRule {
  max: number;
  /** Absent (undefined or null) is allowed. Blank is never allowed: omit the field instead. */
  optional?: boolean;
}

/** Checks one text field; returns the string when it is valid, undefined otherwise or when absent. */
export function checkText(problems: InputProblems, field: string, value: unknown, rule: TextRule): string | undefined {
  if (value === undefined || value === null) {
    if (!rule.optional) problems.add(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.add(field, `must be a string, not ${describeType(value)}`);
    return undefined;
  }
  const length = charLength(value, rule.max);
  if (length > rule.max) {
    problems.add(field, `must be at most ${rule.max} characters`);
    return undefined;
  }
  if (value.trim() === '') {
    problems.add(field, 'must not be blank');
    return undefined;
  }
  return value;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads a list of `noun`s: reports a wrong type or a count outside [min, max]; returns the items to check (at most max). */
export function readList(
  problems: InputProblems,
  field: string,
  value: unknown,
  min: number,
  max: number,
  noun: string,
): unknown[] {
  if (!Array.isArray(value)) {
    problems.add(field, value === undefined || value === null ? 'is required' : `must be a list, not ${describeType(value)}`);
    return [];
  }
  const count = (n: number) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  if (value.length < min) problems.add(field, `must have at least ${count(min)}`);
  if (value.length > max) problems.add(field, `must have at most ${count(max)} (got ${value.length})`);
  return value.slice(0, max);
}

// ---------------------------------------------------------------------------------------------

/**
 * Throws one BAD_USER_INPUT listing every way `content` breaks WhatsApp's rules, before anything
 * is queued. Field names follow the sendMessage input: `text`, `header`, `footer` and
 * `buttons[i].title` at the top, the list's own fields under `list.` and media under `media.`
 * (`list.sections[0].rows[2].id`, `media.link`).
 */
export function validateOutboundContent(content: OutboundContent): void {
  const problems = new InputProblems();
  const value: unknown = content;
  if (!isPlainObject(value)) {
    problems.add('content', `must be an object, not ${describeType(value)}`);
  } else {
    switch (value.kind) {
      case 'text':
        checkText(problems, 'text', value.text, { max: OUTBOUND_LIMITS.textBody });
        if (value.previewUrl !== undefined && value.previewUrl !== null && typeof value.previewUrl !== 'boolean') {
          problems.add('previewUrl', `must be a boolean, not ${describeType(value.previewUrl)}`);
        }
        break;
      case 'buttons':
        checkButtons(problems, value);
        break;
      case 'list':
        checkInteractiveList(problems, value);
        break;
      case 'media':
        checkMedia(problems, value);
        break;
      default:
        problems.add('kind', 'must be one of text, buttons, list, media');
    }
  }
  problems.throwIfAny();
}

function checkHeaderAndFooter(problems: InputProblems, value: Record<string, unknown>): void {
  checkText(problems, 'header', value.header, { max: OUTBOUND_LIMITS.interactiveHeader, optional: true });
  checkText(problems, 'footer', value.footer, { max: OUTBOUND_LIMITS.interactiveFooter, optional: true });
}

function checkButtons(problems: InputProblems, value: Record<string, unknown>): void {
  const L = OUTBOUND_LIMITS;
  checkText(problems, 'text', value.text, { max: L.buttonsBody });
  checkHeaderAndFooter(problems, value);
  const buttons = readList(problems, 'buttons', value.buttons, L.buttonsMin, L.buttonsMax, 'button');
  // Titles must differ for the customer to tell them apart; ids, for us to tell which was tapped.
  const titles = new Set<string>();
  const ids = new Set<string>();
  buttons.forEach((button, index) => {
    const field = `buttons[${index}]`;
    if (!isPlainObject(button)) {
      problems.add(field, `must be an object, not ${describeType(button)}`);
      return;
    }
    const id = checkText(problems, `${field}.id`, button.id, { max: L.buttonId });
    const title = checkText(problems, `${field}.title`, button.title, { max: L.buttonTitle });
    if (id !== undefined) {
      if (ids.has(id)) problems.add(`${field}.id`, `repeats the id "${id}" of another button`);
      ids.add(id);
    }
    if (title !== undefined) {
      if (titles.has(title)) problems.add(`${field}.title`, `repeats the title "${title}" of another button`);
      titles.add(title);
    }
  });
}

function checkInteractiveList(problems: InputProblems, value: Record<string, unknown>): void {
  const L = OUTBOUND_LIMITS;
  checkText(problems, 'text', value.text, { max: L.listBody });
  checkHeaderAndFooter(problems, value);
  checkText(problems, 'list.button', value.button, { max: L.listButton });
  const sections = readList(problems, 'list.sections', value.sections, L.listSectionsMin, L.listSectionsMax, 'section');
  const rowIds = new Set<string>();
  let rowCount = 0;
  let rowsChecked = 0;
  sections.forEach((section, sectionIndex) => {
    const field = `list.sections[${sectionIndex}]`;
    if (!isPlainObject(section)) {
      problems.add(field, `must be an object, not ${describeType(section)}`);
      return;
    }
    // WhatsApp shows section titles only to separate sections, and requires them when there are several.
    checkText(problems, `${field}.title`, section.title, {
      max: L.listSectionTitle,
      optional: sections.length === 1,
    });
    if (!Array.isArray(section.rows)) {
      problems.add(`${field}.rows`, section.rows == null ? 'is required' : `must be a list, not ${describeType(section.rows)}`);
      return;
    }
    if (section.rows.length === 0) problems.add(`${field}.rows`, 'must have at least 1 row');
    rowCount += section.rows.length;
    for (let rowIndex = 0; rowIndex < section.rows.length && rowsChecked < L.listRowsMax; rowIndex += 1) {
      rowsChecked += 1;
      const row: unknown = section.rows[rowIndex];
      const rowField = `${field}.rows[${rowIndex}]`;
      if (!isPlainObject(row)) {
        problems.add(rowField, `must be an object, not ${describeType(row)}`);
        continue;
      }
      const id = checkText(problems, `${rowField}.id`, row.id, { max: L.listRowId });
      checkText(problems, `${rowField}.title`, row.title, { max: L.listRowTitle });
      checkText(problems, `${rowField}.description`, row.description, { max: L.listRowDescription, optional: true });
      if (id !== undefined) {
        if (rowIds.has(id)) problems.add(`${rowField}.id`, `repeats the id "${id}" of another row`);
        rowIds.add(id);
      }
    }
  });
  if (rowCount > L.listRowsMax) {
    problems.add('list.sections', `must have at most ${L.listRowsMax} rows in all (got ${rowCount})`);
  }
}

const MEDIA_WITH_CAPTION = new Set<unknown>(['image', 'video', 'document']);

function checkMedia(problems: InputProblems, value: Record<string, unknown>): void {
  const L = OUTBOUND_LIMITS;
  const kind = value.mediaKind;
  if (!MEDIA_KINDS.includes(kind as MediaKind)) {
    problems.add('media.mediaKind', `must be one of ${MEDIA_KINDS.join(', ')}`);
  }
  const hasLink = value.link !== undefined && value.link !== null;
  const hasId = value.id !== undefined && value.id !== null;
  if (hasLink === hasId) {
    problems.add(hasLink ? 'media.id' : 'media.link', 'exactly one of media.link and media.id is required');
  } else if (hasLink) {
    const link = checkText(problems, 'media.link', value.link, { max: L.mediaLink });
    if (link !== undefined && !isHttpsUrl(link)) problems.add('media.link', 'must be an https:// URL');
  } else {
    const id = checkText(problems, 'media.id', value.id, { max: L.mediaId });
    if (id !== undefined && /\s/.test(id)) problems.add('media.id', 'must not contain spaces');
  }
  if (value.caption !== undefined && value.caption !== null && !MEDIA_WITH_CAPTION.has(kind)) {
    problems.add('media.caption', `is not allowed for ${String(kind)} messages`);
  } else {
    checkText(problems, 'media.caption', value.caption, { max: L.mediaCaption, optional: true });
  }
  if (value.filename !== undefined && value.filename !== null && kind !== 'document') {
    problems.add('media.filename', 'is only allowed for documents');
  } else {
    checkText(problems, 'media.filename', value.filename, { max: L.mediaFilename, optional: true });
  }
}

/** Meta fetches links itself; plain http or other schemes are refused rather than fetched insecurely. */
export function isHttpsUrl(value: string): boolean {
  if (!/^https:\/\//i.test(value) || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
