/**
 * One change that live subscribers and partner webhooks hear of. Ids are decimal strings of a
 * database sequence: they order the events, and a client resumes after the last one it saw.
 */
export interface LiveEvent {
  id: string;
  type: LiveEventType;
  /** The entity the event is about: a flow id, a sales order id, a Customer.id or a data-quality issue id. */
  key: string;
  /** The API Customer.id the entity belongs to, when known. */
  customerId: string | null;
  /** What changed, in a few fields (status, step...); subscribers read the entity itself through the API. */
  data: Record<string, unknown>;
  occurredAt: string;
}

/** Every kind of live event. */
export const LIVE_EVENT_TYPES = ['orderFlow.updated', 'salesOrder.updated', 'customer.changed', 'dataQualityIssue.raised', 'order.shipped', 'invoice.issued'] as const;
/** One of LIVE_EVENT_TYPES. */
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** The events partners may register webhooks for. */
export const WEBHOOK_EVENT_TYPES = ['order.shipped', 'invoice.issued'] as const satisfies readonly LiveEventType[];

/**
 * One page of the integration's event feed (GET /internal/live-events): events after `after` in
 * id order, and `previousId`, the id the page continues from, so a reader can tell it missed none.
 */
export interface LiveEventPage {
  events: LiveEvent[];
  /** The newest id the feed has released; nothing at or below it will appear later. */
  releasedId: string;
  /** The oldest id still kept (retention); a resume from before it may have lost events. */
  oldestId: string | null;
}

/**
 * The Redis channel the integration publishes released events on, as `{previousId, events}`, after
 * the stack's REDIS_KEY_PREFIX (channels are not keys: ioredis's keyPrefix leaves them alone).
 */
export function liveEventChannel(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}live-events`;
}

/** Compares two event ids (decimal strings of a bigint sequence). */
export function compareEventIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
