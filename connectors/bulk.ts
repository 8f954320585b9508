/** What a bulk upsert did with one row, in the order the rows were sent. */
export type BulkOutcome = 'created' | 'updated' | 'unchanged' | 'rejected';

/** The answer of a bulk upsert for one row: its key, what happened, the record's id, or why it was refused. */
export interface BulkUpsertResult {
  /** The row's external key (import key, SKU...). */
  key: string;
  outcome: BulkOutcome;
  /** The record's id in the backend (CRM account id, ERP customer number, SKU) unless rejected. */
  id?: string;
  error?: { code: string; message: string; field?: string };
}

/** Largest number of rows one bulk call accepts. */
export const MAX_BULK_ROWS = 500;
