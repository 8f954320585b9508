import type { DocumentNode } from 'graphql';
import { LruCache } from '../platform/lru-cache';

/** Apollo Server's cache of parsed and validated operations (its `documentStore` option). */
export interface DocumentStore {
  get(key: string): Promise<DocumentNode | undefined>;
  set(key: string, document: DocumentNode): Promise<void>;
  delete(key: string): Promise<boolean | void>;
  /** Bytes of query text the kept documents hold on to. */
  readonly bytes: number;
}

/**
 * Parsed operations weighed by their query text. A parsed document keeps its whole source text
 * (for error locations), comments included, while Apollo's default store weighs only the
 * document's JSON: a flood of small operations padded with a megabyte of comments each would fit
 * thousands of megabytes into its "30 MB". Here the text is the weight, so the bound holds.
 */
export function boundedDocumentStore(maxBytes: number): DocumentStore {
  const documents = new LruCache<DocumentNode>({ maxEntries: Number.MAX_SAFE_INTEGER, maxWeight: maxBytes });
  return {
    async get(key) {
      return documents.get(key);
    },
    async set(key, document) {
      // A document without a location kept no text; its printed size is of the order of its JSON.
      documents.set(key, document, (document.loc?.source.body.length ?? 0) * 2 + 1024);
    },
    async delete(key) {
      documents.delete(key);
    },
    get bytes() {
      return documents.totalWeight;
    },
  };
}
