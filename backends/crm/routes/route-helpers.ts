import type { FastifyRequest } from 'fastify';
import type { Page } from '../../../connectors/page';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { PageRequest } from '../../../platform/pagination';
import { UUID_PATTERN } from '../repositories/sql';
import { listQuerySchema, parseInput } from '../validation';

/** Largest number of ids one batch read accepts. */
export const MAX_BATCH = 500;
/** Largest page a list returns; a bigger `first` is capped to it. */
export const MAX_PAGE = 500;
const DEFAULT_PAGE = 20;

type Query = Record<string, string | string[] | undefined>;

/** The validated non-batch query parameters. */
export function listQuery(req: FastifyRequest) {
  return parseInput(listQuerySchema, req.query, 'query');
}

/** A comma-separated batch parameter (`?ids=a,b`; repeated keys work too), or undefined when absent. */
export function batchParam(req: FastifyRequest, name: string): string[] | undefined {
  const raw = (req.query as Query)[name];
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
  if (values.length > MAX_BATCH) throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} takes at most ${MAX_BATCH} values`, { field: name });
  return values;
}

/** Which one of the batch parameters was given; two at once is ambiguous and refused. */
export function oneBatch(req: FastifyRequest, names: string[]): { name: string; values: string[] } | undefined {
  const given = names.map((name) => ({ name, values: batchParam(req, name) })).filter((b): b is { name: string; values: string[] } => b.values !== undefined);
  if (given.length > 1) throw new AppError(ErrorCode.BAD_USER_INPUT, `give only one of ${names.join(', ')}`, { field: given[1].name });
  return given[0];
}

/** The page asked for by `first`, `after` and `updated_since`. */
export function pageRequest(query: { first?: number; after?: string; updated_since?: string }): PageRequest {
  return { first: Math.min(query.first ?? DEFAULT_PAGE, MAX_PAGE), after: query.after, updatedSince: query.updated_since };
}

/** Batch reads answer in the list envelope too, all in one page. */
export function wholePage<T>(items: T[]): Page<T> {
  return { items, nextCursor: null, totalCount: items.length };
}

/** A path parameter that must be a UUID. */
export function idParam(req: FastifyRequest): string {
  const id = (req.params as { id: string }).id;
  if (!UUID_PATTERN.test(id)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'id must be a UUID', { field: 'id' });
  }
  return id.toLowerCase();
}
