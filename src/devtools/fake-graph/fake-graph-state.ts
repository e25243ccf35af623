import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { GraphErrorOptions } from './graph-error';

/** What a request to the fake was, once routed. */
export type RequestKind = 'send' | 'mark-as-read' | 'templates' | 'template' | 'media' | 'unknown';

export interface RecordedRequest {
  method: string;
  /** The path as received, version segment included, without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  at: Date;
  kind: RequestKind;
  phoneNumberId?: string;
  /** The wamid handed out, on accepted sends. */
  wamid?: string;
  /** What was (or, while delayed or hung, will be) answered. */
  response: { status: number; body: unknown };
  /** When the answer was written; unset while it is delayed, and forever for a hung request. */
  answeredAt?: Date;
}

/** A send we accepted, remembered so status webhooks can refer to it. */
export interface SentMessage {
  wamid: string;
  phoneNumberId: string;
  /** `to` as the client gave it, and the digits Meta reports as `wa_id` / `recipient_id`. */
  to: string;
  recipientId: string;
  type: string;
  templateName?: string;
  bizOpaqueCallbackData?: string;
}

export interface NumberInfo {
  wabaId?: string;
  displayPhoneNumber: string;
}

interface Scripted {
  remaining: number;
  phoneNumberId?: string;
  to?: string;
}
export interface FailureRule extends Scripted {
  code: number;
  error: GraphErrorOptions;
}
export interface DelayRule extends Scripted {
  ms: number;
  hang: boolean;
}

export const digitsOf = (value: string): string => value.replace(/\D/g, '') || value;

/**
 * Everything the fake remembers: recorded requests, scripted failures and delays, the throughput
 * windows, the wamids it handed out and the numbers it knows. `maxRecorded` bounds the requests and
 * wamids kept (oldest dropped first) so a long-running demo does not grow without end.
 */
export class FakeGraphState {
  /** Cleared in place by reset(), so a reference held by a test stays live. */
  readonly requests: RecordedRequest[] = [];
  latencyMs = 0;
  throughputPerSecond: number | null;
  private failures: FailureRule[] = [];
  private delays: DelayRule[] = [];
  /** Per phone_number_id, the acceptance times (ms, monotonic) within the last second. */
  private windows = new Map<string, number[]>();
  private sent = new Map<string, SentMessage>();
  /** `${phoneNumberId}:${recipientId}` -> the last wamid sent there, for reply contexts. */
  private lastSent = new Map<string, string>();
  private numbers = new Map<string, NumberInfo>();
  private sequence = 0;
  /** Accepted sends ever recorded, and each one's 1-based position among them: a cursor that survives drops and reset(). */
  private acceptedSends = 0;
  private readonly sendSeq = new WeakMap<RecordedRequest, number>();

  constructor(
    private readonly initialThroughput: number | null,
    private readonly maxRecorded: number,
  ) {
    this.throughputPerSecond = initialThroughput;
  }

  record(request: RecordedRequest): void {
    if (request.kind === 'send' && request.wamid !== undefined) this.sendSeq.set(request, ++this.acceptedSends);
    this.requests.push(request);
    if (this.requests.length > this.maxRecorded) this.requests.splice(0, this.requests.length - this.maxRecorded);
  }

  /** How many sends were accepted so far (the newest send's position). */
  get lastSendSeq(): number {
    return this.acceptedSends;
  }

  /** The position of an accepted send among all accepted sends; undefined for anything else. */
  sendSeqOf(request: RecordedRequest): number | undefined {
    return this.sendSeq.get(request);
  }

  scriptFailure(rule: FailureRule): void {
    this.failures.push(rule);
  }

  scriptDelay(rule: DelayRule): void {
    this.delays.push(rule);
  }

  /** The first failure scripted for this send, consumed. */
  takeFailure(phoneNumberId: string, to: string): FailureRule | undefined {
    return take(this.failures, (rule) => matches(rule, phoneNumberId) && (rule.to == null || digitsOf(rule.to) === digitsOf(to)));
  }

  takeDelay(phoneNumberId: string, to: string): DelayRule | undefined {
    return take(this.delays, (rule) => matches(rule, phoneNumberId) && (rule.to == null || digitsOf(rule.to) === digitsOf(to)));
  }

  /** Counts a send against the number's sliding one-second window; false when it is full. */
  admit(phoneNumberId: string, now: number): boolean {
    if (this.throughputPerSecond == null) return true;
    const window = this.windows.get(phoneNumberId) ?? [];
    let expired = 0;
    while (expired < window.length && window[expired]! <= now - 1000) expired++;
    window.splice(0, expired);
    this.windows.set(phoneNumberId, window);
    if (window.length >= this.throughputPerSecond) return false;
    window.push(now);
    return true;
  }

  /** A fresh wamid shaped like Meta's: base64 of the recipient and a unique id. */
  newWamid(recipientId: string): string {
    const unique = `${(this.sequence++).toString(16).padStart(8, '0')}${randomBytes(5).toString('hex')}`.toUpperCase();
    const inner = Buffer.concat([
      Buffer.from([0x1c, 0x18, recipientId.length & 0xff]),
      Buffer.from(recipientId),
      Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, unique.length]),
      Buffer.from(unique),
      Buffer.from([0x00]),
    ]);
    return `wamid.${inner.toString('base64')}`;
  }

  rememberSend(message: SentMessage): void {
    this.sent.set(message.wamid, message);
    this.lastSent.set(`${message.phoneNumberId}:${message.recipientId}`, message.wamid);
    if (this.sent.size > this.maxRecorded) this.sent.delete(this.sent.keys().next().value!);
  }

  sentMessage(wamid: string): SentMessage | undefined {
    return this.sent.get(wamid);
  }

  lastWamidTo(phoneNumberId: string, recipient: string): string | undefined {
    return this.lastSent.get(`${phoneNumberId}:${digitsOf(recipient)}`);
  }

  registerNumber(phoneNumberId: string, info: Partial<NumberInfo>): void {
    const known = this.number(phoneNumberId);
    this.numbers.set(phoneNumberId, {
      wabaId: info.wabaId ?? known.wabaId,
      displayPhoneNumber: info.displayPhoneNumber != null ? digitsOf(info.displayPhoneNumber) : known.displayPhoneNumber,
    });
  }

  /** A number we were told about, or a plausible US test number derived from its id. */
  number(phoneNumberId: string): NumberInfo {
    return this.numbers.get(phoneNumberId) ?? { displayPhoneNumber: `1555${digitsOf(phoneNumberId).slice(-7).padStart(7, '0')}` };
  }

  /** Forgets requests and scripts; keeps wamids, numbers and templates, which tests seed once. */
  reset(): void {
    this.requests.length = 0;
    this.failures = [];
    this.delays = [];
    this.windows.clear();
    this.latencyMs = 0;
    this.throughputPerSecond = this.initialThroughput;
  }
}

const matches = (rule: Scripted, phoneNumberId: string) => rule.remaining > 0 && (rule.phoneNumberId == null || rule.phoneNumberId === phoneNumberId);

function take<T extends Scripted>(rules: T[], fits: (rule: T) => boolean): T | undefined {
  const index = rules.findIndex(fits);
  if (index < 0) return undefined;
  const rule = rules[index]!;
  rule.remaining--;
  if (rule.remaining <= 0) rules.splice(index, 1);
  return rule;
}
