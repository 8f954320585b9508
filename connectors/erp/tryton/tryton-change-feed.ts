import { createHash } from 'node:crypto';
import type { RecordedChange } from '../../../platform/outbox';
import { CUSTOMER_DOMAIN, versionOf } from './tryton-erp.connector';
import { type TrytonRpc, datetime } from './tryton-rpc';

type Row = Record<string, unknown>;

/**
 * The Tryton models whose changes the product hears of, and the change event each one's records
 * make: the entity and the id the reference ERP's events carry for it (customer number, SKU, or the
 * record id the connector uses as the document's id).
 */
export const TRYTON_CHANGE_MODELS: readonly ChangeModel[] = [
  { model: 'party.party', entity: 'customer', domain: [...CUSTOMER_DOMAIN], fields: ['code'], ids: (row) => [String(row.code)] },
  { model: 'product.product', entity: 'product', domain: [['code', '!=', null]], fields: ['code'], ids: (row) => [String(row.code)] },
  // The list price lives on the template: its change is a change of each of its products.
  {
    model: 'product.template',
    entity: 'product',
    domain: [],
    fields: ['products.code'],
    ids: (row) => ((row['products.'] as Row[] | undefined) ?? []).map((p) => p.code).filter((code): code is string => typeof code === 'string'),
  },
  { model: 'sale.sale', entity: 'sales_order', domain: [], fields: [], ids: (row) => [String(row.id)] },
  { model: 'production', entity: 'production_order', domain: [], fields: [], ids: (row) => [String(row.id)] },
  { model: 'stock.shipment.out', entity: 'shipment', domain: [], fields: [], ids: (row) => [String(row.id)] },
  { model: 'account.invoice', entity: 'invoice', domain: [['type', '=', 'out']], fields: [], ids: (row) => [String(row.id)] },
];

/** One polled model: which of its records count, and the entity ids a changed record stands for. */
export interface ChangeModel {
  model: string;
  entity: string;
  domain: unknown[];
  /** Fields `ids` reads besides the id and the two dates. */
  fields: string[];
  ids: (row: Row) => string[];
}

/**
 * Where a model's polling stands: the newest change seen, as (Tryton's own last write or create time,
 * record id). Times are Tryton's, never this machine's, so clocks cannot disagree.
 */
export interface ChangeCursor {
  stamp: string;
  id: number;
}

/** A change read from Tryton, as the outbox records it, and the position it was read at. */
export interface PolledChange extends RecordedChange {
  eventId: string;
  position: ChangeCursor;
}

/** Records per search_read page. */
const PAGE = 500;

/**
 * Reads what changed in Tryton, model by model, through its JSON-RPC: Tryton sends no events, but
 * every record carries its create and last write time. A write's time is the start of its
 * transaction (PostgreSQL's CURRENT_TIMESTAMP), so a change can commit after a poll with a time
 * before what that poll saw: reads go back `overlapMs` before the cursor, and a change's event id is
 * made of its record and time, so a change read twice is one event.
 */
export class TrytonChangeFeed {
  constructor(
    private readonly rpc: TrytonRpc,
    private readonly database: string,
  ) {}

  /** The newest change of the model now: where polling starts when there is no cursor, so old records are not news. */
  async newest(source: ChangeModel): Promise<ChangeCursor> {
    const operation = 'pollChanges';
    const [written, created] = await Promise.all([
      this.rpc.searchRead<Row>(operation, source.model, [...source.domain, ['write_date', '!=', null]], ['write_date'], { limit: 1, order: [['write_date', 'DESC'], ['id', 'DESC']] }),
      this.rpc.searchRead<Row>(operation, source.model, source.domain, ['create_date'], { limit: 1, order: [['create_date', 'DESC'], ['id', 'DESC']] }),
    ]);
    const candidates: ChangeCursor[] = [
      ...written.map((r) => ({ stamp: String(r.write_date), id: r.id as number })),
      ...created.map((r) => ({ stamp: String(r.create_date), id: r.id as number })),
    ];
    return candidates.reduce(later, { stamp: new Date(0).toISOString(), id: 0 });
  }

  /** Every change of the model at or after `cursor` less `overlapMs`, oldest first. */
  async changesSince(source: ChangeModel, cursor: ChangeCursor, overlapMs: number): Promise<PolledChange[]> {
    const operation = 'pollChanges';
    const since = datetime(new Date(Date.parse(cursor.stamp) - overlapMs));
    const domain = [...source.domain, ['OR', ['write_date', '>=', since], ['create_date', '>=', since]]];
    const fields = ['create_date', 'write_date', ...source.fields];
    const changes: PolledChange[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.rpc.searchRead<Row>(operation, source.model, [...domain, ['id', '>', after]], fields, { limit: PAGE, order: [['id', 'ASC']] });
      for (const row of rows) {
        const stamp = String(row.write_date ?? row.create_date);
        const position = { stamp, id: row.id as number };
        for (const entityId of source.ids(row)) {
          changes.push({
            eventId: eventIdOf(this.database, source.model, row.id as number, entityId, stamp),
            entity: source.entity,
            entityId,
            version: eventVersionOf(stamp),
            action: row.write_date ? 'updated' : 'created',
            position,
          });
        }
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].id as number;
    }
    return changes.sort((a, b) => compare(a.position, b.position));
  }
}

/**
 * The version an event of a write at `stamp` carries: one more than the record's version after it.
 * A Tryton record's version is its last write time in tenths of a second, so two writes within one
 * tenth (a shipment packed and then done) share one; a reader that saw the first must still take the
 * second's event as news. A reader that saw the second already re-reads once for nothing.
 */
export function eventVersionOf(stamp: string): number {
  return versionOf(stamp) + 1;
}

/** The later of two cursors: by time, then by record id. */
export function later(a: ChangeCursor, b: ChangeCursor): ChangeCursor {
  return compare(a, b) >= 0 ? a : b;
}

function compare(a: ChangeCursor, b: ChangeCursor): number {
  return a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.id - b.id;
}

/** A UUID that only this change of this record has: the same change polled again gets the same id. */
function eventIdOf(database: string, model: string, id: number, entityId: string, stamp: string): string {
  const hex = createHash('sha256').update(`tryton\u0000${database}\u0000${model}\u0000${id}\u0000${entityId}\u0000${stamp}`).digest('hex');
  // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant 10).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
