import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import { badInput } from '../domain/errors';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

interface Keyed {
  id: string;
}

/** The order of a connection: a timestamp column, ties broken by id. Default: oldest first by createdAt. */
export interface PageOrder<T> {
  field: keyof T & string;
  direction: 'asc' | 'desc';
}

const encodeCursor = (value: Date, id: string) => Buffer.from(JSON.stringify([value.toISOString(), id])).toString('base64url');

function decodeCursor(cursor: string): { value: Date; id: string } {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(value);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { value: date, id };
  } catch {
    throw badInput('after', 'after is not a cursor returned by this connection');
  }
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/**
 * Keyset pagination, stable under inserts: the cursor is the (sort value, id) of the last row seen,
 * never an offset. The sort column must never be null.
 */
export async function paginate<T extends Keyed>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: PageArgs,
  order: PageOrder<T> = { field: 'createdAt' as keyof T & string, direction: 'asc' },
): Promise<Page<T>> {
  const limit = pageSize(args.first);
  const { field, direction } = order;
  let keyset = {} as FilterQuery<T>;
  if (args.after) {
    const { value, id } = decodeCursor(args.after);
    const beyond = direction === 'asc' ? '$gt' : '$lt';
    keyset = { $or: [{ [field]: { [beyond]: value } }, { [field]: value, id: { [beyond]: id } }] } as FilterQuery<T>;
  }
  const [rows, totalCount] = await Promise.all([
    em.find(entity, { $and: [where, keyset] } as FilterQuery<T>, {
      orderBy: { [field]: direction, id: direction } as never,
      limit: limit + 1,
    }),
    em.count(entity, where),
  ]);
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node[field] as Date, node.id), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
