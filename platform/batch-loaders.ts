import DataLoader from 'dataloader';

/**
 * DataLoader shapes the subgraphs share. Connector batch reads return the rows found in any
 * order; these loaders put them back in key order, so each resolver asks for one thing and each
 * request costs one backend call per type and level.
 */

/** One row per id, null for ids the backend does not know (a missing id is not an error). */
export function rowByIdLoader<Row>(fetch: (ids: readonly string[]) => Promise<Row[]>, idOf: (row: Row) => string): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((row) => [idOf(row), row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Every row belonging to each owner id (e.g. the shipments of each sales order), in backend order. */
export function rowsByOwnerLoader<Row>(fetch: (ownerIds: readonly string[]) => Promise<Row[]>, ownerOf: (row: Row) => string): DataLoader<string, Row[]> {
  return groupedRowsLoader<string, Row>({ ownerOf: (key) => key, argsOf: () => '', fetch: (ownerIds) => fetch(ownerIds), rowOwner: ownerOf });
}

/** How a grouped loader splits keys into backend calls. */
export interface GroupedRowsLoaderOptions<Key, Row> {
  /** The owner id in a key (customer number, account id...). */
  ownerOf: (key: Key) => string;
  /** The key's other arguments, serialised: keys with equal arguments share one backend call. */
  argsOf: (key: Key) => string;
  /** One backend call for many owners with the arguments of `sample`. */
  fetch: (ownerIds: readonly string[], sample: Key) => Promise<Row[]>;
  /** The owner id of a returned row. */
  rowOwner: (row: Row) => string;
}

/**
 * Rows per (owner, arguments) key, e.g. the newest 20 CONFIRMED orders of a customer. Keys with
 * the same arguments are fetched in one call; a failed call fails only the keys it served.
 */
export function groupedRowsLoader<Key, Row>(options: GroupedRowsLoaderOptions<Key, Row>): DataLoader<Key, Row[], string> {
  return new DataLoader<Key, Row[], string>(
    async (keys) => {
      const groups = new Map<string, Key[]>();
      for (const key of keys) {
        const args = options.argsOf(key);
        const group = groups.get(args);
        if (group) group.push(key);
        else groups.set(args, [key]);
      }
      const results = new Map<string, Map<string, Row[]> | Error>();
      await Promise.all(
        [...groups].map(async ([args, groupKeys]) => {
          const ownerIds = [...new Set(groupKeys.map(options.ownerOf))];
          try {
            const rows = await options.fetch(ownerIds, groupKeys[0]);
            const byOwner = new Map<string, Row[]>();
            for (const row of rows) {
              const owner = options.rowOwner(row);
              const owned = byOwner.get(owner);
              if (owned) owned.push(row);
              else byOwner.set(owner, [row]);
            }
            results.set(args, byOwner);
          } catch (error) {
            results.set(args, error instanceof Error ? error : new Error(String(error)));
          }
        }),
      );
      return keys.map((key) => {
        const result = results.get(options.argsOf(key));
        if (result instanceof Error || result === undefined) return result ?? new Error('no result for key');
        return result.get(options.ownerOf(key)) ?? [];
      });
    },
    { cacheKeyFn: (key) => `${options.ownerOf(key)}\u0000${options.argsOf(key)}` },
  );
}
