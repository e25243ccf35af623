import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import type { Viewer } from '../../src/auth/viewer';
import { Role } from '../../src/domain/role';
import { EventQueue } from '../../src/services/live/event-queue';
import type { DirectSocket } from '../../src/services/live/delivery-streams';
import { FanoutExecutor, type FanoutOptions } from '../../src/services/live/fanout';
import type { LiveRoot } from '../../src/services/live/live-event';
import { ShortLivedCache } from '../../src/services/live/short-lived-cache';

interface TickRoot extends LiveRoot {
  n: number;
}

/**
 * The fan-out in isolation: a one-field subscription whose resolver counts its executions, and
 * sources the test feeds by hand. What matters is how many times an event is executed.
 */
describe('FanoutExecutor', () => {
  let executions: { filter: string | null; role: string }[];
  let sources: EventQueue<TickRoot>[];
  let cache: ShortLivedCache;
  let contexts: Viewer[];

  const Tick = new GraphQLObjectType({ name: 'Tick', fields: { n: { type: new GraphQLNonNull(GraphQLInt) }, label: { type: GraphQLString } } });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(Tick),
          args: { filter: { type: GraphQLString }, after: { type: GraphQLString } },
          subscribe: () => {
            const source = new EventQueue<TickRoot>(100, () => undefined, () => undefined);
            sources.push(source);
            return source;
          },
          resolve: (root: TickRoot, args: { filter?: string }, context: { viewer: Viewer }) => {
            executions.push({ filter: args.filter ?? null, role: context.viewer.kind === 'member' ? context.viewer.role : 'operator' });
            return { n: root.n, label: `${args.filter}:${root.n}` };
          },
        },
      },
    }),
  });
  const document = parse('subscription ($filter: String, $after: String) { ticks(filter: $filter, after: $after) { n label } }');
  const otherDocument = parse('subscription ($filter: String) { ticks(filter: $filter) { n } }');

  const member = (organizationId: string, role: Role, userId: string): Viewer => ({ kind: 'member', organizationId, role, userId, apiKeyId: null, sessionId: null });

  let slowSockets: DirectSocket[];
  const options = (contextFor: FanoutOptions['contextFor'] = (viewer) => ({ viewer })): FanoutOptions => ({
    cache,
    contextFor,
    formatResult: (result) => result,
    maxBufferedBytes: 1024,
    onSlowConsumer: (socket) => slowSockets.push(socket),
  });

  /** A socket that records what is sent to it. */
  const fakeSocket = (bufferedAmount = 0) => {
    const sent: string[] = [];
    const socket: DirectSocket & { sent: string[]; bufferedAmount: number } = { readyState: 1, OPEN: 1, bufferedAmount, sent, send: (data: string) => void sent.push(data) };
    return socket;
  };

  beforeEach(() => {
    slowSockets = [];
    executions = [];
    sources = [];
    contexts = [];
    cache = new ShortLivedCache(60_000);
  });
  afterEach(() => cache.close());

  async function subscriber(fanout: FanoutExecutor, viewer: Viewer, variables: Record<string, unknown>, doc = document) {
    const stream = (await fanout.subscribe({ schema, document: doc, variableValues: variables, contextValue: { viewer } })) as AsyncIterableIterator<ExecutionResult>;
    return stream;
  }

  it('executes an event once per distinct operation, variables (resume cursor aside), organization and role', async () => {
    const fanout = new FanoutExecutor(
      options((viewer) => {
        contexts.push(viewer);
        return { viewer };
      }),
    );
    const owner = (userId: string) => member('org-1', Role.OWNER, userId);
    const streams = [
      // One group: same document and filter, different people and resume cursors.
      await subscriber(fanout, owner('ana'), { filter: 'a', after: '1' }),
      await subscriber(fanout, owner('bob'), { filter: 'a', after: '7' }),
      await subscriber(fanout, owner('cid'), { filter: 'a' }),
      // Each of these is a group of its own.
      await subscriber(fanout, owner('ana'), { filter: 'b' }),
      await subscriber(fanout, member('org-1', Role.VIEWER, 'dee'), { filter: 'a' }),
      await subscriber(fanout, member('org-2', Role.OWNER, 'eve'), { filter: 'a' }),
      await subscriber(fanout, owner('ana'), { filter: 'a' }, otherDocument),
    ];
    const root: TickRoot = { liveKey: 'c42', eventKey: 'c42', organizationId: 'org-1', n: 42 };
    const pending = streams.map((stream) => stream.next());
    for (const source of sources) source.push(root);
    const results = (await Promise.all(pending)).map((item) => item.value as ExecutionResult);

    expect(executions).toHaveLength(5);
    expect(results[0]).toBe(results[1]);
    expect(results[0]).toBe(results[2]);
    expect(results[0]).toEqual({ data: { ticks: { n: 42, label: 'a:42' } } });
    expect(results[3]).toEqual({ data: { ticks: { n: 42, label: 'b:42' } } });
    expect(results[6]).toEqual({ data: { ticks: { n: 42 } } });
    // Shared executions run as the organization and role, never as one of the people in the group.
    expect(contexts.every((viewer) => viewer.kind === 'member' && viewer.userId === null && viewer.apiKeyId === null)).toBe(true);
    expect(new Set(contexts.map((viewer) => (viewer.kind === 'member' ? `${viewer.organizationId}/${viewer.role}` : '')))).toEqual(
      new Set(['org-1/OWNER', 'org-1/VIEWER', 'org-2/OWNER']),
    );
  });

  it('executes again for the next event, and for roots that differ per subscriber', async () => {
    const fanout = new FanoutExecutor(options());
    const viewer = member('org-1', Role.AGENT, 'ana');
    const [first, second] = [await subscriber(fanout, viewer, { filter: 'a' }), await subscriber(fanout, viewer, { filter: 'a' })];
    const pending = [first!.next(), second!.next()];
    sources[0]!.push({ liveKey: 'i1ENTERED', eventKey: 'c1', organizationId: 'org-1', n: 1 });
    sources[1]!.push({ liveKey: 'i1LEFT', eventKey: 'c1', organizationId: 'org-1', n: 1 });
    await Promise.all(pending);
    expect(executions).toHaveLength(2);

    const next = [first!.next(), second!.next()];
    for (const source of sources) source.push({ liveKey: 'c2', eventKey: 'c2', organizationId: 'org-1', n: 2 });
    const [a, b] = await Promise.all(next);
    expect(executions).toHaveLength(3);
    expect(a!.value).toBe(b!.value);
  });

  it('releases the source at once when the subscriber leaves, even while it waits for an event', async () => {
    const fanout = new FanoutExecutor(options());
    const stream = await subscriber(fanout, member('org-1', Role.AGENT, 'ana'), { filter: 'a' });
    const waiting = stream.next();
    await stream.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(sources[0]!.ended).toBe(true);
  });

  describe('delivering to sockets', () => {
    const viewer = member('org-1', Role.AGENT, 'ana');
    /** A subscriber as graphql-ws makes one: prepared with its operation id and socket, then subscribed. */
    async function socketSubscriber(fanout: FanoutExecutor, id: string, socket: DirectSocket) {
      const args = { schema, document, variableValues: { filter: 'a' }, contextValue: { viewer } };
      expect(await fanout.prepare(args, { id, socket })).toBeNull();
      return (await fanout.subscribe(args)) as AsyncIterableIterator<ExecutionResult>;
    }

    it('sends every socket of a group the same serialised result, as graphql-transport-ws next messages', async () => {
      const fanout = new FanoutExecutor(options());
      const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
      const streams = await Promise.all(sockets.map((socket, i) => socketSubscriber(fanout, `op-${i}`, socket)));
      const ended = streams.map((stream) => stream.next());
      for (const source of sources) source.push({ liveKey: 'c7', eventKey: 'c7', organizationId: 'org-1', n: 7 });
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(executions).toHaveLength(1);
      expect(sockets.map((socket) => socket.sent.map((message) => JSON.parse(message)))).toEqual(
        sockets.map((_, i) => [{ id: `op-${i}`, type: 'next', payload: { data: { ticks: { n: 7, label: 'a:7' } } } }]),
      );
      // To graphql-ws the stream yields nothing; it ends (and graphql-ws sends complete) when the source does.
      for (const source of sources) void source.return();
      expect(await Promise.all(ended)).toEqual(sockets.map(() => ({ value: undefined, done: true })));
    });

    it('delivers events in the order they came', async () => {
      const fanout = new FanoutExecutor(options());
      const socket = fakeSocket();
      await socketSubscriber(fanout, 'ordered', socket);
      for (let n = 1; n <= 5; n += 1) sources[0]!.push({ liveKey: `c${n}`, eventKey: `c${n}`, organizationId: 'org-1', n });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(socket.sent.map((message) => JSON.parse(message).payload.data.ticks.n)).toEqual([1, 2, 3, 4, 5]);
    });

    it('stops taking events while the socket holds a quarter of its bound unsent: they wait in the queue', async () => {
      const fanout = new FanoutExecutor(options());
      const socket = fakeSocket(300);
      const stream = await socketSubscriber(fanout, 'behind', socket);
      const ended = stream.next();
      sources[0]!.push({ liveKey: 'c1', eventKey: 'c1', organizationId: 'org-1', n: 1 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(socket.sent).toEqual([]);
      expect(sources[0]!.length).toBe(1);

      void stream.return!();
      expect(await ended).toEqual({ value: undefined, done: true });
      expect(sources[0]!.ended).toBe(true);
    });

    it('closes a socket whose unsent bytes pass the bound, as a slow consumer', async () => {
      const fanout = new FanoutExecutor(options());
      const socket = fakeSocket();
      const stream = await socketSubscriber(fanout, 'slow', socket);
      const ended = stream.next();
      sources[0]!.push({ liveKey: 'c1', eventKey: 'c1', organizationId: 'org-1', n: 1 });
      // The first send went out; then the client stops reading while the second is on its way.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(socket.sent).toHaveLength(1);
      sources[0]!.push({ liveKey: 'c2', eventKey: 'c2', organizationId: 'org-1', n: 2 });
      socket.bufferedAmount = 5_000;
      expect(await ended).toEqual({ value: undefined, done: true });
      expect(slowSockets).toEqual([socket]);
      expect(socket.sent).toHaveLength(1);
      expect(sources[0]!.ended).toBe(true);
    });
  });
});
