import { type WriteStream, createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';
import type { TransferFormat } from './row-source';

/**
 * The rejects file beside the input, `FILE.rejects.csv` or `FILE.rejects.ndjson`:
 * - CSV: the header `line,reason,` followed by the input's own columns; then, per refused row,
 *   its line number, the reason, and its original cells.
 * - NDJSON: one object per refused row: `{"line":N,"reason":"…","row":{…original object…}}`, or
 *   `"raw":"…original text…"` instead of `row` when the line was not a JSON object.
 * A stale rejects file from an earlier run is removed first; none is written when no row is refused.
 */
export class RejectsWriter {
  private out?: WriteStream;
  private count = 0;

  constructor(
    readonly file: string,
    private readonly format: TransferFormat,
    private readonly header: () => string[],
  ) {
    rmSync(file, { force: true });
  }

  /** Path of the rejects file for an input file. */
  static pathFor(input: string, format: TransferFormat): string {
    return `${input}.rejects.${format}`;
  }

  /** How many rows were written. */
  get written(): number {
    return this.count;
  }

  /** Appends one refused row, waiting when the disk is slower than the import. */
  async write(line: number, reason: string, original: string[] | Record<string, unknown> | string): Promise<void> {
    if (!this.out) {
      this.out = createWriteStream(this.file);
      if (this.format === 'csv') this.out.write(stringify([['line', 'reason', ...this.header()]]));
    }
    let text: string;
    if (this.format === 'csv') {
      const cells = Array.isArray(original) ? original : [typeof original === 'string' ? original : JSON.stringify(original)];
      text = stringify([[String(line), reason, ...cells]]);
    } else {
      text = `${JSON.stringify(typeof original === 'string' ? { line, reason, raw: original } : { line, reason, row: original })}\n`;
    }
    this.count++;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (!this.out) return;
    this.out.end();
    await once(this.out, 'finish');
  }
}
