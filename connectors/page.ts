/** One page of a backend list: the rows, the cursor of the next page, and the total match count. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  totalCount: number;
}

/** Cursor paging and change polling, common to every list call. */
export interface ListParams {
  /** Page size, 1..500 (backends cap it). */
  first?: number;
  /** The `nextCursor` of the previous page. */
  after?: string | null;
  /** Only rows changed at or after this instant (ISO date-time); for catch-up polling. */
  updatedSince?: string;
}
