/**
 * How the terminal chat shows what the bot sent (the Graph API request bodies the fake recorded)
 * and reads a typed number as a tap on one of the shown choices. Pure, no I/O.
 */

/** A button or list row the customer can pick by typing its number. */
export interface Choice {
  kind: 'button_reply' | 'list_reply';
  id: string;
  title: string;
}

export interface RenderedReply {
  lines: string[];
  /** The choices this message offers; empty when it offers none. */
  choices: Choice[];
}

/** What the chat needs of one entry of the fake's GET /_fake/sent. */
export interface SentReply {
  type?: string;
  body: unknown;
  templateText?: string;
}

/** `value.a.b...` when each step is an object, else undefined: request bodies are read defensively. */
function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker']);

export function renderReply(reply: SentReply): RenderedReply {
  const body = reply.body;
  const type = reply.type ?? str(at(body, 'type')) ?? 'unknown';
  if (type === 'text') return { lines: [str(at(body, 'text', 'body')) ?? ''], choices: [] };
  if (type === 'interactive') return renderInteractive(at(body, 'interactive'));
  if (MEDIA.has(type)) {
    const label = str(at(body, type, 'caption')) ?? str(at(body, type, 'filename')) ?? '';
    return { lines: [`[${type}]${label ? ` ${label}` : ''}`], choices: [] };
  }
  if (type === 'template') {
    const name = str(at(body, 'template', 'name')) ?? '?';
    return { lines: [`[template ${name}]${reply.templateText ? ` ${reply.templateText}` : ''}`], choices: [] };
  }
  return { lines: [`[${type}]`], choices: [] };
}

function renderInteractive(interactive: unknown): RenderedReply {
  const lines: string[] = [];
  const header = str(at(interactive, 'header', 'text'));
  if (header) lines.push(header);
  lines.push(str(at(interactive, 'body', 'text')) ?? '');
  const footer = str(at(interactive, 'footer', 'text'));
  if (footer) lines.push(`(${footer})`);
  const kind = at(interactive, 'type');

  if (kind === 'button') {
    const choices: Choice[] = list(at(interactive, 'action', 'buttons')).map((button) => ({
      kind: 'button_reply',
      id: String(at(button, 'reply', 'id') ?? ''),
      title: String(at(button, 'reply', 'title') ?? ''),
    }));
    lines.push(choices.map((choice, index) => `${index + 1}) ${choice.title}`).join('  '));
    return { lines, choices };
  }
  if (kind === 'list') {
    const choices: Choice[] = [];
    const sections = list(at(interactive, 'action', 'sections'));
    lines.push(`[${str(at(interactive, 'action', 'button')) ?? 'list'}]`);
    for (const section of sections) {
      const title = str(at(section, 'title'));
      if (title && sections.length > 1) lines.push(`${title}:`);
      for (const row of list(at(section, 'rows'))) {
        const choice: Choice = { kind: 'list_reply', id: String(at(row, 'id') ?? ''), title: String(at(row, 'title') ?? '') };
        choices.push(choice);
        const description = str(at(row, 'description'));
        lines.push(`${choices.length}) ${choice.title}${description ? ` - ${description}` : ''}`);
      }
    }
    return { lines, choices };
  }
  return { lines, choices: [] };
}

/** The choice a typed line picks: a bare number within the offered choices; anything else is a message. */
export function pickChoice(line: string, choices: Choice[]): Choice | null {
  const match = /^\s*(\d{1,2})\s*$/.exec(line);
  if (!match) return null;
  return choices[Number(match[1]) - 1] ?? null;
}
