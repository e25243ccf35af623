import { type OutboundContent } from '../outbound-limits';
import { type MessageNode } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';
import { type NormalizedInput } from './flow-run';
import { clip, interpolate, type InterpolationScope } from './interpolation';

/**
 * Turns message nodes into OutboundContent and customer answers into their options. Texts are
 * interpolated then cut to WhatsApp's limits, since a long answer inserted into a text must not
 * make the send fail; titles, ids and links are never interpolated, so validation vouches for them.
 */

export interface MessageOption {
  id: string;
  title: string;
  next: string;
}

/** The choices a message waits for: its buttons or its list's rows, in order; none when it does not wait. */
export function messageOptions(node: MessageNode): MessageOption[] {
  if (node.buttons) return node.buttons;
  if (node.list) return node.list.sections.flatMap((section) => section.rows);
  return [];
}

/** The option an answer picks: an interactive reply by its id (or, failing that, its title), typed text by a title, case-insensitive. */
export function findOption(options: MessageOption[], input: NormalizedInput): MessageOption | null {
  if (input.kind === 'other') return null;
  if (input.kind === 'reply') {
    const byId = options.find((option) => option.id === input.id);
    if (byId) return byId;
  }
  const typed = (input.kind === 'reply' ? input.title : input.text).trim().toLowerCase();
  return options.find((option) => option.title.trim().toLowerCase() === typed) ?? null;
}

/** Interactive messages need a body; one made only of unknown variables falls back to this. */
export const EMPTY_BODY = '…';

function render(text: string, scope: InterpolationScope, max: number): string {
  return clip(interpolate(text, scope, { maxLength: 2 * max }), max);
}

/** What entering the node sends. `bodyText` replaces the text (a retry). */
export function messageContents(node: MessageNode, scope: InterpolationScope, bodyText = node.text): OutboundContent[] {
  if (node.buttons) {
    const text = render(bodyText ?? '', scope, FLOW_LIMITS.buttonsText);
    return [
      {
        kind: 'buttons',
        text: text.trim() === '' ? EMPTY_BODY : text,
        buttons: node.buttons.map(({ id, title }) => ({ id, title })),
      },
    ];
  }
  if (node.list) {
    const text = render(bodyText ?? '', scope, FLOW_LIMITS.text);
    return [
      {
        kind: 'list',
        text: text.trim() === '' ? EMPTY_BODY : text,
        button: node.list.button,
        sections: node.list.sections.map((section) => ({
          ...(section.title === undefined ? {} : { title: section.title }),
          rows: section.rows.map(({ id, title, description }) => ({
            id,
            title,
            ...(description === undefined ? {} : { description }),
          })),
        })),
      },
    ];
  }
  const contents: OutboundContent[] = [];
  const text = textContent(bodyText, scope);
  if (text) contents.push(text);
  if (node.media) {
    const { kind, link, id, caption } = node.media;
    const renderedCaption = caption === undefined ? '' : render(caption, scope, FLOW_LIMITS.caption);
    contents.push({
      kind: 'media',
      mediaKind: kind,
      ...(link === undefined ? {} : { link }),
      ...(id === undefined ? {} : { id }),
      ...(renderedCaption.trim() === '' ? {} : { caption: renderedCaption }),
    });
  }
  return contents;
}

/** A plain text message, or null when there is no text or it renders blank (WhatsApp refuses blank text). */
export function textContent(text: string | undefined, scope: InterpolationScope): OutboundContent | null {
  if (text === undefined) return null;
  const rendered = render(text, scope, FLOW_LIMITS.text);
  return rendered.trim() === '' ? null : { kind: 'text', text: rendered };
}
