import type { Logger } from '../../../platform/logger';
import type { ChangeEvent } from '../../../platform/outbox';

/** Reacts to backend change events (one delivery's, in order); it should only look, enqueue or re-read, never assume. */
export type ChangeEventHandler = (events: ChangeEvent[]) => Promise<void>;

/**
 * Hands each freshly received change event to the parts of the integration that care about it
 * (order flows wait on ERP orders, shipments and invoices; the sync on customers and accounts).
 * A handler's failure is logged and does not fail the webhook: the event is already recorded, and
 * every consumer also runs a catch-up poll, so nothing depends on this push alone.
 */
export class ChangeEventBus {
  private readonly handlers: { source: ChangeEvent['source']; entities: ReadonlySet<string>; handler: ChangeEventHandler }[] = [];

  constructor(private readonly logger: Logger) {}

  /** Calls `handler` with the new events of `source` about one of `entities` (never with none). */
  subscribe(source: 'erp' | 'crm', entities: readonly string[], handler: ChangeEventHandler): void {
    this.handlers.push({ source, entities: new Set(entities), handler });
  }

  /** Delivers events to their subscribers, each isolated from the others' failures. */
  async publish(events: readonly ChangeEvent[]): Promise<void> {
    await Promise.all(
      this.handlers.map(async (h) => {
        const mine = events.filter((e) => e.source === h.source && h.entities.has(e.entity));
        if (mine.length === 0) return;
        await h.handler(mine).catch((error: unknown) => {
          this.logger.warn({ err: error, events: mine.length, first: { eventId: mine[0].eventId, entity: mine[0].entity, entityId: mine[0].entityId } }, 'change event handler failed');
        });
      }),
    );
  }
}
