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
import type { LiveRoot } from './live-event';
import type { ShortLivedCache } from './short-lived-cache';

type PromiseOrValue<T> = T | Promise<T>;

export interface FanoutOptions {
  cache: ShortLivedCache;
  /** A context for executing events for `viewer`; one is shared by every subscriber of that access level. */
  contextFor(viewer: Viewer, requestId: string): unknown;
}

/** Distinct execution keys remembered as short ids; past this the table starts over. */
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

/** Maps a source stream; `return()` reaches the source at once, so its listener goes when the client does. */
class MappedStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly map: (value: unknown) => PromiseOrValue<ExecutionResult>,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const item = await this.source.next();
    if (item.done) return { value: undefined, done: true };
    return { value: await this.map(item.value), done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * graphql-ws's `subscribe`, executing each event once per distinct operation and access level
 * instead of once per socket. Subscribers whose (document, operation name, variables other than the
 * resume cursor, organization, role) match form a group; a delivery's result is cached for a moment
 * under (root, group), and every subscriber of the group gets that same result object. Each
 * subscriber keeps its own source stream (its own replay and position), so resumes stay exact.
 *
 * The shared execution runs as the organization and role, not as the person: fields reachable from
 * subscription payloads must not depend on who the member is (today none do; the inbox's
 * `assignedToMe` is decided in its source stream, per subscriber, and carried in the root).
 */
export class FanoutExecutor {
  private readonly documentKeys = new WeakMap<DocumentNode, string>();
  /** Source streams opened by `prepare`, by the execution arguments graphql-ws passes on to `subscribe`. */
  private readonly prepared = new WeakMap<ExecutionArgs, AsyncIterable<unknown>>();
  private readonly executionIds = new Map<string, number>();
  private lastExecutionId = 0;

  constructor(private readonly options: FanoutOptions) {}

  /**
   * For a subscription operation: opens its source stream now, so that what goes wrong there (an
   * invalid cursor, another organization's id, a forbidden role) can be answered with the
   * protocol's `error` message rather than as a `next` result. Returns those errors, or null.
   */
  async prepare(args: ExecutionArgs): Promise<readonly GraphQLError[] | null> {
    if (getOperationAST(args.document, args.operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) return null;
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source.errors ?? [new GraphQLError('The subscription could not start')];
    this.prepared.set(args, source);
    return null;
  }

  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = this.prepared.get(args) ?? (await createSourceEventStream(args));
    this.prepared.delete(args);
    if (!isAsyncIterable(source)) return source;
    const events = source[Symbol.asyncIterator]();
    const viewer = (args.contextValue as { viewer?: Viewer | null }).viewer;
    // The subscribe functions only accept members; anything else executes per subscriber.
    if (viewer?.kind !== 'member') return new MappedStream(events, (root) => execute({ ...args, rootValue: root }));
    const group = this.groupOf(args, viewer);
    const shared: Viewer = { kind: 'member', organizationId: viewer.organizationId, role: viewer.role, userId: null, apiKeyId: null, sessionId: null };
    const { cache, contextFor } = this.options;
    return new MappedStream(events, (root) => {
      if (!isLiveRoot(root)) return execute({ ...args, rootValue: root });
      return cache.get(`x${group}\n${root.liveKey}`, () =>
        execute({
          ...args,
          rootValue: root,
          contextValue: cache.get(`ctx\n${root.eventKey}\n${shared.organizationId}\n${shared.role}`, () => contextFor(shared, `live-${root.eventKey}`)),
        }),
      );
    });
  };

  /** A short id for the subscriber's group (see the class comment). */
  private groupOf(args: ExecutionArgs, viewer: MemberViewer): number {
    const variables = { ...(args.variableValues ?? {}) };
    const cursorVariable = this.cursorVariable(args);
    if (cursorVariable) delete variables[cursorVariable];
    const key = [this.documentKey(args.document), args.operationName ?? '', stableJson(variables), viewer.organizationId, viewer.role].join('\u0000');
    let id = this.executionIds.get(key);
    if (id === undefined) {
      if (this.executionIds.size >= MAX_EXECUTION_KEYS) this.executionIds.clear();
      // Never reused, even after a clear: a cached result must not reach another group.
      id = ++this.lastExecutionId;
      this.executionIds.set(key, id);
    }
    return id;
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
