import type { Queryable } from '../../../platform/db';

/** A partner's endpoint as stored (the secret sealed). */
export interface WebhookSubscriptionRow {
  id: string;
  customerId: string;
  url: string;
  events: string[];
  status: 'ACTIVE' | 'PAUSED';
  createdAt: string;
}

/** One delivery as stored. */
export interface WebhookDeliveryRow {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  entityKey: string;
  customerId: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  body: string | null;
  nextAttemptAt: string | null;
  giveUpAt: string;
  createdAt: string;
  deliveredAt: string | null;
}

/** A delivery claimed for sending, with what signing needs. */
export interface ClaimedDelivery extends WebhookDeliveryRow {
  url: string;
  secretSealed: string;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toSubscription(row: Record<string, any>): WebhookSubscriptionRow {
  return { id: row.id, customerId: row.customer_id, url: row.url, events: row.events, status: row.status, createdAt: iso(row.created_at)! };
}

function toDelivery(row: Record<string, any>): WebhookDeliveryRow {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: String(row.event_id),
    eventType: row.event_type,
    entityKey: row.entity_key,
    customerId: row.customer_id,
    status: row.status,
    attempts: row.attempts,
    lastResponseCode: row.last_response_code,
    lastError: row.last_error,
    body: row.body,
    nextAttemptAt: iso(row.next_attempt_at),
    giveUpAt: iso(row.give_up_at)!,
    createdAt: iso(row.created_at)!,
    deliveredAt: iso(row.delivered_at),
  };
}

const DELIVERY_COLUMNS = 'd.id, d.subscription_id, d.event_id, d.event_type, d.entity_key, d.customer_id, d.status, d.attempts, d.last_response_code, d.last_error, d.body, d.next_attempt_at, d.give_up_at, d.created_at, d.delivered_at';

/** The only code that reads or writes the partner webhook tables. */
export class WebhookRepository {
  constructor(private readonly db: Queryable) {}

  async insertSubscription(row: { id: string; customerId: string; createdBy: string; url: string; events: string[]; secretSealed: string }): Promise<WebhookSubscriptionRow> {
    const { rows } = await this.db.query(
      `INSERT INTO webhook_subscriptions (id, customer_id, created_by, url, events, secret_sealed, status) VALUES ($1, $2, $3, $4, $5::text[], $6, 'ACTIVE') RETURNING *`,
      [row.id, row.customerId, row.createdBy, row.url, row.events, row.secretSealed],
    );
    return toSubscription(rows[0]);
  }

  /** The customer's endpoints, oldest first. */
  async subscriptionsOf(customerId: string): Promise<WebhookSubscriptionRow[]> {
    const { rows } = await this.db.query('SELECT * FROM webhook_subscriptions WHERE customer_id = $1 ORDER BY created_at, id', [customerId]);
    return rows.map(toSubscription);
  }

  /** Sets the status of the customer's endpoint; null when it has no such endpoint. */
  async setStatus(id: string, customerId: string, status: 'ACTIVE' | 'PAUSED'): Promise<WebhookSubscriptionRow | null> {
    const { rows } = await this.db.query('UPDATE webhook_subscriptions SET status = $3 WHERE id = $1 AND customer_id = $2 RETURNING *', [id, customerId, status]);
    return rows.length > 0 ? toSubscription(rows[0]) : null;
  }

  /** Deletes the customer's endpoint and its deliveries; true when it existed. */
  async deleteSubscription(id: string, customerId: string): Promise<boolean> {
    const { rows } = await this.db.query('DELETE FROM webhook_subscriptions WHERE id = $1 AND customer_id = $2 RETURNING id', [id, customerId]);
    return rows.length > 0;
  }

  /** Deliveries to the customer's endpoints (one endpoint when given), newest first, keyset-paged. */
  async deliveriesOf(customerId: string, options: { subscriptionId?: string; limit: number; after?: { createdAt: string; id: string } }): Promise<WebhookDeliveryRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
       WHERE d.customer_id = $1 AND ($2::uuid IS NULL OR d.subscription_id = $2::uuid)
         AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::text))
       ORDER BY d.created_at DESC, d.id DESC LIMIT $5`,
      [customerId, options.subscriptionId ?? null, options.after?.createdAt ?? null, options.after?.id ?? null, options.limit],
    );
    return rows.map(toDelivery);
  }

  /** Makes the customer's delivery due now again (same id and body); null when it has no such delivery. */
  async replay(id: string, customerId: string, giveUpAt: Date): Promise<WebhookDeliveryRow | null> {
    const { rows } = await this.db.query(
      `UPDATE webhook_deliveries d SET status = 'PENDING', next_attempt_at = now(), give_up_at = $3, delivered_at = NULL
       WHERE d.id = $1 AND d.customer_id = $2 RETURNING ${DELIVERY_COLUMNS}`,
      [id, customerId, giveUpAt],
    );
    return rows.length > 0 ? toDelivery(rows[0]) : null;
  }

  /**
   * Turns the live events after the fan-out position into deliveries for every endpoint of their
   * customer that asked for their type (paused ones too: they are sent on resume), and moves the
   * position, in one transaction's statements. Returns how many deliveries were made.
   */
  async fanOut(types: readonly string[], upTo: string, giveUpAfterMs: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH position AS (SELECT last_event_id FROM webhook_fan_out FOR UPDATE),
       made AS (
         INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, entity_key, customer_id, status, next_attempt_at, give_up_at)
         SELECT 'msg_' || replace(s.id::text, '-', '') || '_' || e.id, s.id, e.id, e.type, e.entity_key, e.customer_id, 'PENDING', now(),
                now() + ($3::int8 * interval '1 millisecond')
         FROM live_events e JOIN webhook_subscriptions s ON s.customer_id = e.customer_id AND e.type = ANY(s.events)
         WHERE e.id > (SELECT last_event_id FROM position) AND e.id <= $2::int8 AND e.type = ANY($1::text[])
         ORDER BY e.id
         ON CONFLICT (subscription_id, event_id) DO NOTHING
         RETURNING 1
       ),
       moved AS (UPDATE webhook_fan_out SET last_event_id = greatest(last_event_id, $2::int8) RETURNING 1)
       SELECT (SELECT count(*) FROM made)::int8 AS n, (SELECT count(*) FROM moved) AS m`,
      [types, upTo, giveUpAfterMs],
    );
    return Number(rows[0].n);
  }

  /** Claims up to `limit` due deliveries of active endpoints for `leaseMs` (a crashed sender's come back after it). */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.db.query(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND s.status = 'ACTIVE'
         ORDER BY d.next_attempt_at, d.event_id LIMIT $1 FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d SET next_attempt_at = now() + ($2::int8 * interval '1 millisecond')
       FROM due, webhook_subscriptions s WHERE d.id = due.id AND s.id = d.subscription_id
       RETURNING ${DELIVERY_COLUMNS}, s.url, s.secret_sealed`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({ ...toDelivery(row), url: row.url as string, secretSealed: row.secret_sealed as string }));
  }

  /** Keeps the rendered body so every attempt sends the same bytes. */
  async saveBody(id: string, body: string): Promise<void> {
    await this.db.query('UPDATE webhook_deliveries SET body = $2 WHERE id = $1 AND body IS NULL', [id, body]);
  }

  /** Records one attempt's outcome. */
  async recordAttempt(
    id: string,
    outcome: { status: 'PENDING' | 'DELIVERED' | 'FAILED'; responseCode: number | null; error: string | null; nextAttemptAt: Date | null },
  ): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, last_response_code = $3, last_error = $4, next_attempt_at = $5,
         delivered_at = CASE WHEN $2 = 'DELIVERED' THEN now() ELSE delivered_at END WHERE id = $1`,
      [id, outcome.status, outcome.responseCode, outcome.error, outcome.nextAttemptAt],
    );
  }
}
