import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** The two file formats an import reads. */
export type TransferFormat = 'csv' | 'ndjson';

/** One row as read from the file, before validation. */
export type SourceRow =
  | {
      /** The file line the row ends on (the CSV header is line 1). */
      line: number;
      /** Field name → value: strings from CSV, any JSON value from NDJSON. */
      fields: Record<string, unknown>;
      /** What to write back in the rejects file: the CSV cells or the NDJSON object. */
      original: string[] | Record<string, unknown>;
    }
  | {
      line: number;
      /** The row could not be read as a row at all (bad JSON, wrong number of CSV cells). */
      unreadable: string;
      original: string[] | string;
    };

/** Picks the format from `--format` or else the file's extension (.csv, .ndjson, .jsonl). */
export function formatOf(file: string, given?: string): TransferFormat {
  const format = (given ?? file.split('.').pop() ?? '').toLowerCase();
  if (format === 'csv') return 'csv';
  if (format === 'ndjson' || format === 'jsonl') return 'ndjson';
  throw new Error(`cannot tell the format of ${file}: name it .csv or .ndjson, or pass --format csv|ndjson`);
}

/** A file read as a stream of rows, with the bytes read so far for a progress bar. */
export interface RowSource {
  rows: AsyncIterable<SourceRow>;
  /** The CSV header, in file order (empty for NDJSON). */
  header(): string[];
  bytesRead(): number;
}

/**
 * Streams a CSV (header row) or NDJSON file row by row; nothing but the current rows is held,
 * and the reader pauses while the consumer is busy (backpressure through async iteration).
 */
export function readRows(file: string, format: TransferFormat): RowSource {
  const input = createReadStream(file);
  let header: string[] = [];
  const rows = format === 'csv' ? csvRows(input, (h) => (header = h)) : ndjsonRows(input);
  return { rows, header: () => header, bytesRead: () => input.bytesRead };
}

async function* csvRows(input: NodeJS.ReadableStream, onHeader: (header: string[]) => void): AsyncGenerator<SourceRow> {
  const parser = input.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record.map((name) => name.trim());
      onHeader(header);
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, unreadable: `expected ${header.length} columns, found ${record.length}`, original: record };
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((name, i) => (fields[name] = record[i]));
    yield { line: info.lines, fields, original: record };
  }
}

async function* ndjsonRows(input: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, unreadable: 'not valid JSON', original: text };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, unreadable: 'must be a JSON object', original: text };
      continue;
    }
    yield { line, fields: value as Record<string, unknown>, original: value as Record<string, unknown> };
  }
}
