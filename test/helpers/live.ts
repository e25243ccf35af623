import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './wait';

/**
 * Live feed tests' vocabulary: a graphql-ws client per "screen", a Feed that records what one
 * subscription received, and bounded waits on both. Every client and socket is tracked so one
 * `closeAll()` in afterEach leaves nothing open.
 */

export const WS_CLOSE = {
  GOING_AWAY: 1001,
  TRY_AGAIN_LATER: 1013,
  SLOW_CONSUMER: 4008,
  BAD_REQUEST: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
} as const;

const WAIT_MS = 15_000;

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** What one subscription received, in order. */
export class Feed<T = any> {
  readonly events: T[] = [];
  errors: GraphQLErrorShape[] | null = null;
  completed = false;
  private stop: () => void = () => undefined;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.stop = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) this.errors = result.errors as GraphQLErrorShape[];
          if (result.data) this.events.push(result.data as T);
        },
        error: (error) => {
          this.errors = Array.isArray(error) ? (error as GraphQLErrorShape[]) : [{ message: String((error as { code?: number })?.code ?? error) }];
        },
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  /** Waits until `count` events have arrived; returns them all. */
  async waitForCount(count: number, what = `${count} events`): Promise<T[]> {
    await waitFor(() => this.events.length >= count || this.errors !== null, { timeoutMs: WAIT_MS, what });
    if (this.errors) throw new Error(`The subscription failed while waiting for ${what}: ${JSON.stringify(this.errors)}`);
    return this.events;
  }

  /** Waits for the first event matching `match`. */
  async waitForEvent(match: (event: T) => boolean, what: string): Promise<T> {
    const found = await waitFor(() => this.events.find(match) ?? (this.errors ? 'failed' : undefined), { timeoutMs: WAIT_MS, what });
    if (found === 'failed') throw new Error(`The subscription failed while waiting for ${what}: ${JSON.stringify(this.errors)}`);
    return found as T;
  }

  /** Waits for the subscription to end with errors (a GraphQL error message of the protocol). */
  async waitForErrors(): Promise<GraphQLErrorShape[]> {
    await waitFor(() => this.errors, { timeoutMs: WAIT_MS, what: 'the subscription to fail' });
    return this.errors!;
  }

  unsubscribe(): void {
    this.stop();
  }
}

export interface LiveConnection {
  client: Client;
  /** The code the socket was closed with (waits, with a deadline). */
  closed(): Promise<number>;
  /** Resolves when the server acknowledged connection_init (waits, with a deadline). */
  connected(): Promise<void>;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Feed<T>;
}

/** Opens graphql-ws clients and raw sockets against one app, and closes them all at the end. */
export class LiveClients {
  private readonly clients: Client[] = [];
  private readonly sockets: WebSocket[] = [];

  constructor(private readonly baseUrl: string) {}

  get url(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/graphql`;
  }

  /** A client that connects at once, never retries, and reports how its socket closed. */
  connect(credential?: string | Record<string, unknown>): LiveConnection {
    let closedWith!: (code: number) => void;
    let connectedWith!: () => void;
    const closed = new Promise<number>((resolve) => (closedWith = resolve));
    const connected = new Promise<void>((resolve) => (connectedWith = resolve));
    const connectionParams = typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : credential;
    const client = createClient({
      url: this.url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams,
      // Refusals are what several tests are about; they read `closed` instead.
      onNonLazyError: () => undefined,
      on: { connected: () => connectedWith(), closed: (event) => closedWith((event as { code: number }).code) },
    });
    this.clients.push(client);
    return {
      client,
      closed: () => withDeadline('the socket to close', closed),
      connected: () => withDeadline('connection_ack', connected),
      subscribe: (query, variables) => new Feed(client, query, variables),
    };
  }

  /** A raw socket speaking graphql-transport-ws, for messages a well-behaved client never sends. */
  async raw(): Promise<RawSocket> {
    const socket = new WebSocket(this.url, 'graphql-transport-ws');
    this.sockets.push(socket);
    const raw = new RawSocket(socket);
    await withDeadline('the socket to open', new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)));
    return raw;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.dispose()));
    for (const socket of this.sockets.splice(0)) socket.terminate();
  }
}

/** A socket whose every received message is kept, parsed. */
export class RawSocket {
  readonly messages: any[] = [];
  private readonly closing: Promise<number>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data))));
    this.closing = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  }

  /** The code the socket was closed with (waits, with a deadline). */
  closed(): Promise<number> {
    return withDeadline('the socket to close', this.closing);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends connection_init and waits for the ack. */
  async init(credential: string): Promise<void> {
    this.send({ type: 'connection_init', payload: { authorization: `Bearer ${credential}` } });
    await this.waitForMessage((message) => message.type === 'connection_ack', 'connection_ack');
  }

  waitForMessage(match: (message: any) => boolean, what: string): Promise<any> {
    return waitFor(() => this.messages.find(match), { timeoutMs: WAIT_MS, what });
  }
}

export function withDeadline<T>(what: string, promise: Promise<T>, ms = WAIT_MS): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms).unref()),
  ]);
}

/** The fields every conversation event test reads. */
export const CONVERSATION_EVENTS = `
  subscription ($conversationId: ID, $after: String) {
    conversationEvents(conversationId: $conversationId, after: $after) {
      __typename cursor conversationId at
      ... on MessageReceived { message { id text status direction } }
      ... on MessageSent { author message { id text status direction } }
      ... on MessageStatusChanged { messageStatus errorCode message { id status } }
      ... on ConversationAssigned { status previousStatus assignedTo { id } }
      ... on ConversationStatusChanged { status previousStatus }
      ... on BotEvent { kind nodeId reason }
      ... on WindowClosingSoon { expiresAt }
    }
  }
`;

export interface ConversationEventPayload {
  conversationEvents: {
    __typename: string;
    cursor: string;
    conversationId: string;
    at: string;
    message?: { id: string; text: string | null; status: string; direction: string } | null;
    status?: string;
    messageStatus?: string;
    previousStatus?: string | null;
    assignedTo?: { id: string } | null;
    kind?: string;
    nodeId?: string | null;
    reason?: string | null;
    expiresAt?: string;
    author?: string | null;
    errorCode?: string | null;
  };
}

/** `__typename`s of a feed's events, in order. */
export const typenames = (feed: Feed<ConversationEventPayload>) => feed.events.map((event) => event.conversationEvents.__typename);

/** Cursors of a feed's events, in order. */
export const cursors = (feed: Feed<ConversationEventPayload>) => feed.events.map((event) => event.conversationEvents.cursor);

/**
 * Waits until the app's subscription hub has `count` listeners: a subscription is only sure to see
 * an action once its listener is registered (graphql-ws has no "subscribed" acknowledgement).
 */
export async function listening(app: { deps: { live?: { hub: { stats(): { listeners: number } } } } }, count: number): Promise<void> {
  await waitFor(() => (app.deps.live?.hub.stats().listeners ?? 0) >= count, { timeoutMs: WAIT_MS, what: `${count} live listeners` });
}

/** Waits until every live listener of the app is gone (closed clients are released asynchronously). */
export async function noListeners(app: { deps: { live?: { hub: { stats(): { listeners: number } } } } }): Promise<void> {
  await waitFor(() => (app.deps.live?.hub.stats().listeners ?? 0) === 0, { timeoutMs: WAIT_MS, what: 'every live listener to be released' });
}
