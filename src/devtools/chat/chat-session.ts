import type { SentView } from '../fake-graph/fake-graph-control';
import type { ChatClient } from './chat-client';
import { pickChoice, renderReply, type Choice } from './chat-render';

const POLL_MS = 150;

/** Where the session writes: whole lines, so the terminal can keep the user's half-typed input intact. */
export type Printer = (lines: string[]) => void;

const BOT = 'bot: ';
const INDENT = ' '.repeat(BOT.length);

/**
 * One conversation of the demo customer with the bot: each typed line becomes an inbound webhook
 * (a bare number picks one of the last message's choices, like a tap), and the bot's replies are
 * polled from the fake Graph API's record and printed as they arrive.
 */
export class ChatSession {
  private after = 0;
  private choices: Choice[] = [];
  /** The message the choices belong to: a tapped reply quotes it, as WhatsApp does. */
  private choicesWamid: string | undefined;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: ChatClient,
    private readonly print: Printer,
    private readonly onFatal: (error: unknown) => void,
  ) {}

  /**
   * Skips the replies sent before this chat started, but shows the latest one: a conversation the
   * bot is still in (say, waiting on buttons) goes on where it stopped, and its choices work.
   */
  async start(): Promise<void> {
    const feed = await this.client.readSent(0);
    const latest = feed.sends.at(-1);
    if (latest) this.show(latest, '(earlier) ');
    this.after = feed.last;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async send(line: string): Promise<void> {
    const text = line.trim();
    if (!text) return;
    const choice = pickChoice(text, this.choices);
    if (choice) {
      this.print([`${INDENT}(picked ${choice.title})`]);
      const reply = { id: choice.id, title: choice.title };
      await this.client.sendInbound(choice.kind === 'button_reply' ? { buttonReply: reply } : { listReply: reply }, this.choicesWamid);
      return;
    }
    await this.client.sendInbound({ text });
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.poll().then(
        () => this.timer && this.schedule(),
        (error: unknown) => this.onFatal(error),
      );
    }, POLL_MS);
  }

  private async poll(): Promise<void> {
    const feed = await this.client.readSent(this.after);
    for (const sent of feed.sends) this.show(sent);
    this.after = Math.max(this.after, feed.last);
  }

  private show(sent: SentView, label = ''): void {
    const { lines, choices } = renderReply(sent);
    const [first = '', ...rest] = lines.flatMap((line) => line.split('\n'));
    this.print([`${BOT}${label}${first}`, ...rest.map((line) => `${INDENT}${line}`)]);
    // A message without choices (a question, a plain text) ends the previous choices: a number is then just text.
    this.choices = choices;
    this.choicesWamid = choices.length ? sent.wamid : undefined;
  }
}
