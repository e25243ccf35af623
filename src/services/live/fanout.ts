import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  createSourceEventStream,
  execute,
  getOperationAST,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Viewer } from '../../auth/viewer';
import type { MemberViewer } from '../scope';
import { DirectStream, PrefetchingStream, type DirectSocket } from './delivery-streams';
import { queueFrom } from './event-queue';
import { SharedDelivery } from './shared-delivery';
import type { Corkable } from './write-batch';
import type { LiveRoot } from './live-event';
import type { ShortLivedCache } from './short-lived-cache';

export interface FanoutOptions {
  cache: ShortLivedCache;
  /** A context for executing events for `viewer`; one per tick is shared by every subscriber of that access level. */
  contextFor(viewer: Viewer, requestId: string): unknown;
  /** Called before each execution of a live root, in its tick: rows the event carries can serve its reads. */
  beforeExecute?(root: LiveRoot): void;
  /** What clients may see of a result (errors formatted), to serialise; applied once per shared result. */
  formatResult(result: ExecutionResult): unknown;
  /** Unsent bytes a socket may hold before its client counts as too slow. */
  maxBufferedBytes: number;
  /** Closes a socket whose client does not keep up. */
  onSlowConsumer(socket: DirectSocket): void;
}

/** Where a prepared subscription's messages go. */
export interface DeliveryTarget {
  id: string;
  socket: DirectSocket;
  /** The socket's TCP stream (the upgrade request's socket), to send a turn's frames together. */
  transport?: Corkable;
}

/** Subscribers executing as one: a short id for result cache keys, and the last delivery made in this tick. */
interface Group {
  id: number;
  lastRoot: unknown;
  lastDelivery: SharedDelivery | null;
}

/** Distinct execution keys remembered as groups; past this the table starts over. */
const MAX_EXECUTION_KEYS = 50_000;

const isAsyncIterable = <T>(value: T | AsyncIterable<unknown>): value is AsyncIterable<unknown> =>
  typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

const isLiveRoot = (value: unknown): value is LiveRoot =>
  typeof value === 'object' && value !== null && typeof (value as LiveRoot).liveKey === 'string';

/** JSON with sorted keys, so `{a, b}` and `{b, a}` variables make one key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * graphql-ws's `subscribe`, executing each event once per distinct operation and access level
 * instead of once per socket. Subscribers whose (document, operation name, variables other than the
 * resume cursor, organization, role) match form a group; a delivery's result is cached for a moment
 * under (root, group), serialised once, and every subscriber of the group gets those same bytes
 * (SharedDelivery; DirectStream writes them to its socket). Each subscriber keeps its own source stream (its own
 * replay and position), so resumes stay exact.
 *
 * The shared execution runs as the organization and role, not as the person: fields reachable from
 * subscription payloads must not depend on who the member is (today none do; the inbox's
 * `assignedToMe` is decided in its source stream, per subscriber, and carried in the root).
 */
export class FanoutExecutor {
  private readonly documentKeys = new WeakMap<DocumentNode, string>();
  /** Source streams opened by `prepare`, by the execution arguments graphql-ws passes on to `subscribe`. */
  private readonly prepared = new WeakMap<ExecutionArgs, { source: AsyncIterable<unknown>; target?: DeliveryTarget }>();
  private readonly groups = new Map<string, Group>();
  private lastExecutionId = 0;
  /** Groups whose last delivery is remembered (see `remember`). */
  private rememberedThisTick: Group[] = [];
  /** Contexts of the current tick, by organization and role; a new tick starts empty. */
  private tickContexts: Map<string, unknown> | null = null;

  constructor(private readonly options: FanoutOptions) {}

  /**
   * For a subscription operation: opens its source stream now, so that what goes wrong there (an
   * invalid cursor, another organization's id, a forbidden role) can be answered with the
   * protocol's `error` message rather than as a `next` result. Returns those errors, or null.
   */
  async prepare(args: ExecutionArgs, target?: DeliveryTarget): Promise<readonly GraphQLError[] | null> {
    if (getOperationAST(args.document, args.operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) return null;
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source.errors ?? [new GraphQLError('The subscription could not start')];
    this.prepared.set(args, { source, target });
    return null;
  }

  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const prepared = this.prepared.get(args);
    this.prepared.delete(args);
    const source = prepared?.source ?? (await createSourceEventStream(args));
    if (!isAsyncIterable(source)) return source;
    const events = source[Symbol.asyncIterator]();
    const viewer = (args.contextValue as { viewer?: Viewer | null }).viewer;
    // The subscribe functions only accept members; anything else executes per subscriber.
    if (viewer?.kind !== 'member') return new PrefetchingStream(events, (root) => execute({ ...args, rootValue: root }));
    const group = this.groupOf(args, viewer);
    const shared: MemberViewer = { kind: 'member', organizationId: viewer.organizationId, role: viewer.role, userId: null, apiKeyId: null, sessionId: null };
    const { cache, formatResult } = this.options;
    const run = async (root: unknown): Promise<ExecutionResult> => {
      let contextValue = args.contextValue;
      if (isLiveRoot(root)) {
        this.options.beforeExecute?.(root);
        contextValue = this.tickContext(shared, root);
      }
      return execute({ ...args, rootValue: root, contextValue });
    };
    const serialised = async (root: unknown) => JSON.stringify(formatResult(await run(root)));
    const target = prepared?.target;
    // Without a socket to write to (prepare was not called), results are shared as objects.
    if (!target) return new PrefetchingStream(events, (root) => (isLiveRoot(root) ? cache.get(`r${group.id}\n${root.liveKey}`, () => run(root)) : run(root)));
    const delivery = (root: unknown): SharedDelivery => {
      if (!isLiveRoot(root)) return new SharedDelivery(serialised(root));
      // A group's subscribers get an event one after another, with the same root: no key to build.
      if (group.lastRoot === root) return group.lastDelivery!;
      const found = cache.get(`x${group.id}\n${root.liveKey}`, () => new SharedDelivery(serialised(root)));
      this.remember(group, root, found);
      return found;
    };
    return new DirectStream(queueFrom(events), delivery, {
      id: target.id,
      socket: target.socket,
      transport: target.transport,
      maxBufferedBytes: this.options.maxBufferedBytes,
      onSlowConsumer: () => this.options.onSlowConsumer(target.socket),
    });
  };

  /**
   * Keeps a group's delivery of `root` for its other subscribers in this tick. Forgotten when the
   * tick ends (the cache still has it): held until the group's next event, a root and its delivery
   * would live about a second per organization and be promoted to the old generation.
   */
  private remember(group: Group, root: unknown, delivery: SharedDelivery): void {
    if (!this.rememberedThisTick.length) setImmediate(this.forgetRemembered);
    group.lastRoot = root;
    group.lastDelivery = delivery;
    this.rememberedThisTick.push(group);
  }

  private readonly forgetRemembered = () => {
    for (const group of this.rememberedThisTick) {
      group.lastRoot = null;
      group.lastDelivery = null;
    }
    this.rememberedThisTick = [];
  };

  /**
   * Executions started in one tick share a context, so their loaders batch one query for a burst
   * of events; the next tick gets a fresh one, so nothing read is older than the event.
   */
  private tickContext(viewer: MemberViewer, root: LiveRoot): unknown {
    if (!this.tickContexts) {
      this.tickContexts = new Map();
      setImmediate(() => (this.tickContexts = null));
    }
    const key = `${viewer.organizationId}\n${viewer.role}`;
    let context = this.tickContexts.get(key);
    if (context === undefined) this.tickContexts.set(key, (context = this.options.contextFor(viewer, `live-${root.eventKey}`)));
    return context;
  }

  /** The subscriber's group (see the class comment). */
  private groupOf(args: ExecutionArgs, viewer: MemberViewer): Group {
    const variables = { ...(args.variableValues ?? {}) };
    const cursorVariable = this.cursorVariable(args);
    if (cursorVariable) delete variables[cursorVariable];
    const key = [this.documentKey(args.document), args.operationName ?? '', stableJson(variables), viewer.organizationId, viewer.role].join('\u0000');
    let group = this.groups.get(key);
    if (group === undefined) {
      if (this.groups.size >= MAX_EXECUTION_KEYS) this.groups.clear();
      // Never reused, even after a clear: a cached result must not reach another group.
      group = { id: ++this.lastExecutionId, lastRoot: null, lastDelivery: null };
      this.groups.set(key, group);
    }
    return group;
  }

  /** The variable given as the root field's `after` (the resume cursor): it changes the replay, not the results. */
  private cursorVariable(args: ExecutionArgs): string | null {
    const operation = getOperationAST(args.document, args.operationName);
    const root = operation?.selectionSet.selections[0];
    if (root?.kind !== Kind.FIELD) return null;
    const after = root.arguments?.find((argument) => argument.name.value === 'after');
    return after?.value.kind === Kind.VARIABLE ? after.value.name.value : null;
  }

  private documentKey(document: DocumentNode): string {
    let key = this.documentKeys.get(document);
    if (key === undefined) {
      key = print(document);
      this.documentKeys.set(document, key);
    }
    return key;
  }
}
