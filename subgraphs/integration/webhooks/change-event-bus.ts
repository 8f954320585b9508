import type { Logger } from '../../../platform/logger';
import type { ChangeEvent } from '../../../platform/outbox';

/** Reacts to one backend change event; it should only look, enqueue or re-read, never assume. */
export type ChangeEventHandler = (event: ChangeEvent) => Promise<void>;

/**
 * Hands each freshly received change event to the parts of the integration that care about it
 * (order flows wait on ERP orders, shipments and invoices; the sync on customers and accounts).
 * A handler's failure is logged and does not fail the webhook: the event is already recorded, and
 * every consumer also runs a catch-up poll, so nothing depends on this push alone.
 */
export class ChangeEventBus {
  private readonly handlers: { source: ChangeEvent['source']; entities: ReadonlySet<string>; handler: ChangeEventHandler }[] = [];

  constructor(private readonly logger: Logger) {}

  /** Calls `handler` for every new event of `source` about one of `entities`. */
  subscribe(source: 'erp' | 'crm', entities: readonly string[], handler: ChangeEventHandler): void {
    this.handlers.push({ source, entities: new Set(entities), handler });
  }

  /** Delivers an event to its subscribers, each isolated from the others' failures. */
  async publish(event: ChangeEvent): Promise<void> {
    const interested = this.handlers.filter((h) => h.source === event.source && h.entities.has(event.entity));
    await Promise.all(
      interested.map((h) =>
        h.handler(event).catch((error: unknown) => {
          this.logger.warn({ err: error, eventId: event.eventId, entity: event.entity, entityId: event.entityId }, 'change event handler failed');
        }),
      ),
    );
  }
}
