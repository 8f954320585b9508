export type { Page } from '../platform/pagination';

/** Cursor paging and change polling, common to every list call. */
export interface ListParams {
  /** Page size, 1..500 (backends cap it). */
  first?: number;
  /** The `nextCursor` of the previous page. */
  after?: string | null;
  /** Only rows changed at or after this instant (ISO date-time); for catch-up polling. */
  updatedSince?: string;
}
