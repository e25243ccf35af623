import { OUTBOUND_LIMITS, describeType, isHttpsUrl, isPlainObject } from '../../outbound-limits';
import { FLOW_MEDIA_KINDS } from '../flow-definition';
import { FLOW_LIMITS } from '../flow-limits';
import {
  checkInteger,
  checkKnownFields,
  checkTarget,
  checkText,
  isAbsent,
  readList,
  readObject,
  reportUnused,
} from './field-checks';
import { type Report } from './flow-problems';

const MESSAGE_FIELDS = ['id', 'type', 'text', 'buttons', 'list', 'media', 'next', 'retryText', 'maxAttempts', 'onInvalid'] as const;
const BUTTON_FIELDS = ['id', 'title', 'next'] as const;
const LIST_FIELDS = ['button', 'sections'] as const;
const SECTION_FIELDS = ['title', 'rows'] as const;
const ROW_FIELDS = ['id', 'title', 'description', 'next'] as const;
const MEDIA_FIELDS = ['kind', 'link', 'id', 'caption'] as const;
const WITH_CAPTION = new Set<unknown>(['image', 'video', 'document']);

/** A message: text and at most one of buttons, list and media; with options it waits, otherwise it needs `next`. */
export function checkMessageNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, MESSAGE_FIELDS);
  const extras = (['buttons', 'list', 'media'] as const).filter((field) => !isAbsent(node[field]));
  for (const field of extras.slice(1)) {
    report(field, `cannot be used together with ${extras[0]}: a message has at most one of buttons, list and media`);
  }
  const hasButtons = !isAbsent(node.buttons);
  const waits = hasButtons || !isAbsent(node.list);
  // Reply-button messages allow a shorter body than other messages.
  const textMax = hasButtons ? FLOW_LIMITS.buttonsText : FLOW_LIMITS.text;
  checkText(report, 'text', node.text, { max: textMax, optional: !waits && !isAbsent(node.media) });
  if (hasButtons) checkButtons(report, node.buttons);
  if (!isAbsent(node.list)) checkList(report, node.list);
  if (!isAbsent(node.media)) checkMedia(report, node.media);

  if (waits) {
    if (!isAbsent(node.next)) report('next', 'is not used when the message has buttons or a list: each option has its own next');
    checkText(report, 'retryText', node.retryText, { max: textMax, optional: true });
    checkInteger(report, 'maxAttempts', node.maxAttempts, FLOW_LIMITS.maxAttemptsMin, FLOW_LIMITS.maxAttemptsMax);
    checkTarget(report, 'onInvalid', node.onInvalid, false);
  } else {
    checkTarget(report, 'next', node.next, 'a message without buttons or a list continues to next');
    reportUnused(report, node, ['retryText', 'maxAttempts', 'onInvalid'], 'without buttons or a list: the message waits for no answer');
  }
}

/** Titles are compared as a typed answer is matched: trimmed, case-insensitive. */
const titleKey = (title: string) => title.trim().toLowerCase();

function checkButtons(report: Report, value: unknown): void {
  const buttons = readList(report, 'buttons', value, OUTBOUND_LIMITS.buttonsMin, OUTBOUND_LIMITS.buttonsMax, 'button');
  const ids = new Set<string>();
  const titles = new Set<string>();
  buttons.forEach((button, index) => {
    const field = `buttons[${index}]`;
    if (!isPlainObject(button)) {
      report(field, `must be an object, not ${describeType(button)}`);
      return;
    }
    checkKnownFields(report, button, BUTTON_FIELDS, `${field}.`);
    const id = checkText(report, `${field}.id`, button.id, { max: OUTBOUND_LIMITS.buttonId });
    const title = checkText(report, `${field}.title`, button.title, { max: OUTBOUND_LIMITS.buttonTitle });
    checkTarget(report, `${field}.next`, button.next, 'each button leads somewhere');
    if (id !== undefined) {
      if (ids.has(id)) report(`${field}.id`, `repeats the id "${id}" of another button`);
      ids.add(id);
    }
    if (title !== undefined) {
      if (titles.has(titleKey(title))) report(`${field}.title`, `repeats the title "${title}" of another button`);
      titles.add(titleKey(title));
    }
  });
}

function checkList(report: Report, value: unknown): void {
  const list = readObject(report, 'list', value);
  if (!list) return;
  checkKnownFields(report, list, LIST_FIELDS, 'list.');
  checkText(report, 'list.button', list.button, { max: OUTBOUND_LIMITS.listButton });
  const L = OUTBOUND_LIMITS;
  const sections = readList(report, 'list.sections', list.sections, L.listSectionsMin, L.listSectionsMax, 'section');
  const ids = new Set<string>();
  const titles = new Set<string>();
  let rowCount = 0;
  let rowsChecked = 0;
  sections.forEach((section, sectionIndex) => {
    const field = `list.sections[${sectionIndex}]`;
    if (!isPlainObject(section)) {
      report(field, `must be an object, not ${describeType(section)}`);
      return;
    }
    checkKnownFields(report, section, SECTION_FIELDS, `${field}.`);
    // WhatsApp needs section titles only to tell several sections apart.
    checkText(report, `${field}.title`, section.title, { max: L.listSectionTitle, optional: sections.length === 1 });
    // The limit counts rows over all sections together; only that many are checked.
    const rows = readList(report, `${field}.rows`, section.rows, 1, Number.POSITIVE_INFINITY, 'row');
    rowCount += rows.length;
    rows.forEach((row, rowIndex) => {
      rowsChecked += 1;
      if (rowsChecked > L.listRowsMax) return;
      const rowField = `${field}.rows[${rowIndex}]`;
      if (!isPlainObject(row)) {
        report(rowField, `must be an object, not ${describeType(row)}`);
        return;
      }
      checkKnownFields(report, row, ROW_FIELDS, `${rowField}.`);
      const id = checkText(report, `${rowField}.id`, row.id, { max: L.listRowId });
      const title = checkText(report, `${rowField}.title`, row.title, { max: L.listRowTitle });
      checkText(report, `${rowField}.description`, row.description, { max: L.listRowDescription, optional: true });
      checkTarget(report, `${rowField}.next`, row.next, 'each row leads somewhere');
      if (id !== undefined) {
        if (ids.has(id)) report(`${rowField}.id`, `repeats the id "${id}" of another row`);
        ids.add(id);
      }
      if (title !== undefined) {
        // WhatsApp allows equal row titles, but a typed title must pick exactly one row.
        if (titles.has(titleKey(title))) report(`${rowField}.title`, `repeats the title "${title}" of another row`);
        titles.add(titleKey(title));
      }
    });
  });
  if (rowCount > L.listRowsMax) report('list.sections', `must have at most ${L.listRowsMax} rows in all (got ${rowCount})`);
}

function checkMedia(report: Report, value: unknown): void {
  const media = readObject(report, 'media', value);
  if (!media) return;
  checkKnownFields(report, media, MEDIA_FIELDS, 'media.');
  if (!FLOW_MEDIA_KINDS.includes(media.kind as never)) {
    report('media.kind', `${isAbsent(media.kind) ? 'is required: ' : 'must be '}one of ${FLOW_MEDIA_KINDS.join(', ')}`);
  }
  const hasLink = !isAbsent(media.link);
  if (hasLink === !isAbsent(media.id)) {
    report(hasLink ? 'media.id' : 'media.link', 'exactly one of media.link and media.id is required');
  } else if (hasLink) {
    const link = checkText(report, 'media.link', media.link, { max: OUTBOUND_LIMITS.mediaLink });
    if (link !== undefined && !isHttpsUrl(link)) report('media.link', 'must be an https:// URL');
  } else {
    const id = checkText(report, 'media.id', media.id, { max: OUTBOUND_LIMITS.mediaId });
    if (id !== undefined && /\s/.test(id)) report('media.id', 'must not contain spaces');
  }
  if (!isAbsent(media.caption) && !WITH_CAPTION.has(media.kind) && FLOW_MEDIA_KINDS.includes(media.kind as never)) {
    report('media.caption', `is not allowed for ${String(media.kind)}: only images, videos and documents have captions`);
  } else {
    checkText(report, 'media.caption', media.caption, { max: FLOW_LIMITS.caption, optional: true });
  }
}
