import { Histogram } from 'prom-client';
import type { CrmAccount, CrmAccountInput } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { customerId } from '../../../platform/customer-id';
import type { Database } from '../../../platform/db';
import { ErrorCode, isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import type { ServiceMetrics } from '../../../platform/metrics';
import type { ChangeEvent } from '../../../platform/outbox';
import { type CustomerLink, CustomerLinkRepository } from '../links/customer-link.repository';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import type { ChangeEventBus } from '../webhooks/change-event-bus';
import type { OwnWriteGate } from './own-write-gate';
import { CRM_OWNED_FIELDS, type OwnedFields, SyncRepository, type SyncSystem } from './sync.repository';

/** What syncing one record did; the full resync sums these into its summary. */
export type SyncOutcome =
  /** The record no longer exists in its system. */
  | 'missing'
  /** Not newer than what the sync applied or wrote itself: a late event or an echo. */
  | 'stale'
  /** Both systems agreed already. */
  | 'unchanged'
  /** The other system was brought in step (fields mirrored or references written back). */
  | 'updated'
  /** A customer was created in the ERP for a CRM account. */
  | 'created-in-erp'
  /** An account was created in the CRM for an ERP customer. */
  | 'created-in-crm'
  /** A CRM-owned field had been changed in the ERP: restored and recorded as a conflict. */
  | 'conflict';

/** What the sync needs. */
export interface CustomerSyncDeps {
  db: Database;
  erp: IntegrationErp;
  crm: IntegrationCrm;
  logger: Logger;
  gate: OwnWriteGate;
  /** Registry for `sync_propagation_seconds`; none in tests that do not look. */
  metrics?: ServiceMetrics;
  /** True once the customer links exist; before that events are left to the catch-up poll. */
  ready: () => boolean;
  /** Catch-up poll interval; default 2000 ms. */
  pollIntervalMs?: number;
  /** How far before its cursor a poll starts again, for clock skew and same-instant commits; default 2000 ms. */
  pollOverlapMs?: number;
  now?: () => Date;
}

/** One queued piece of work: a record to bring in step, and when its change happened (for the delay metric). */
interface QueuedRecord {
  system: SyncSystem;
  id: string;
  force: boolean;
  occurredAt?: string;
  /** The row already read, when the caller has a fresh one (polls and the resync). */
  row?: CrmAccount | ErpCustomer;
  done: Promise<SyncOutcome>;
}

const POLL_PAGE = 200;

/**
 * Keeps customers in step between the CRM and the ERP. Every event or polled row only names a
 * record: the sync re-reads it (and its partner) from the systems, so a late or reordered webhook
 * never overwrites newer data, and the newest version applied per record is kept so old news is
 * skipped. The CRM owns name, email, industry and country and they are mirrored to the ERP; the
 * ERP's own fields stay there (the CRM has none). A record without a partner gets one, created
 * with a deterministic idempotency key, linked and referenced both ways. Matching follows the kept
 * links and the references the systems store, never names.
 *
 * Conflicts: a three-way comparison against the last agreed values (the snapshot) tells a CRM
 * change (mirrored) from an ERP change of a CRM-owned field (a conflict). On a conflict the CRM's
 * value is restored on the ERP, the conflict is recorded, and the link is CONFLICT until the owner
 * speaks again: the next change of the CRM account resolves it. A pair that never agreed (data that
 * differed before the sync knew it) counts as a conflict too when the sync first touches it, so a
 * differing ERP value is never overwritten without a trace.
 *
 * Pre-existing data is left alone by the live sync: it propagates changes from the moment it
 * runs. Records that were one-sided or differing before are reported by the reconciliation and
 * onboarded by the full resync (`npm run sync -- --full`), which is a decision for an operator.
 *
 * Work runs one record at a time through a queue (duplicates of a waiting record merge), which
 * keeps two events of one customer from racing; it is per process, and with replicas the
 * deterministic idempotency keys keep a creation single.
 */
export class CustomerSync {
  private readonly links: CustomerLinkRepository;
  private readonly repository: SyncRepository;
  private baselineTaken = false;
  private readonly propagation: Histogram;
  private readonly waiting = new Map<string, QueuedRecord>();
  private tail: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = true;
  private baselining?: Promise<void>;

  constructor(private readonly deps: CustomerSyncDeps) {
    this.links = new CustomerLinkRepository(deps.db);
    this.repository = new SyncRepository(deps.db);
    this.propagation = new Histogram({
      name: 'sync_propagation_seconds',
      help: 'Delay from a customer change in one system to the sync having applied it to the other',
      labelNames: ['source'],
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
      registers: deps.metrics ? [deps.metrics.registry] : [],
    });
  }

  /** Subscribes to the CRM's account and the ERP's customer events. */
  subscribe(bus: ChangeEventBus): void {
    const onEvents = async (events: ChangeEvent[]) => {
      for (const event of events) await this.onEvent(event);
    };
    bus.subscribe('crm', ['account'], onEvents);
    bus.subscribe('erp', ['customer'], onEvents);
  }

  /** True once the first start's baseline is taken; until then changes cannot be told from old data. */
  async hasBaseline(): Promise<boolean> {
    return (await this.repository.cursor('crm')) !== null;
  }

  /** Starts the catch-up poll (it waits for the link bootstrap). */
  start(): void {
    this.stopped = false;
    const tick = () => {
      this.polling = this.pollOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'sync catch-up poll failed; retrying at the next interval'))
        .finally(() => {
          // Until the links exist and the baseline is taken, look again soon: readiness waits on it.
          const interval = this.deps.pollIntervalMs ?? 2000;
          if (!this.stopped) this.timer = setTimeout(tick, this.baselineTaken ? interval : Math.min(250, interval));
        });
    };
    tick();
  }

  /** Stops polling and waits for queued work. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await this.idle();
  }

  /** Resolves when the queue is empty. */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail.catch(() => undefined);
      if (tail === this.tail) return;
    }
  }

  /**
   * Queues the record an event names (the event's content beyond the id is not trusted) and
   * returns at once, so the webhook is answered without waiting for the backends; a failure is
   * logged and left to the catch-up poll.
   */
  async onEvent(event: ChangeEvent): Promise<void> {
    if (!this.deps.ready()) return;
    const system = event.source === 'crm' ? 'crm' : 'erp';
    this.enqueue({ system, id: event.entityId, force: false, occurredAt: event.occurredAt }).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, system, id: event.entityId }, 'customer sync of an event failed; the catch-up poll retries it');
    });
  }

  /**
   * Reads what changed in each system since its cursor (less the overlap) and brings every row not
   * applied yet in step: what webhooks missed. The cursor stays while a backend is unavailable.
   * The first poll takes the baseline; data older than it is the resync's to onboard.
   */
  async pollOnce(): Promise<{ crm: number; erp: number }> {
    if (!this.deps.ready()) return { crm: 0, erp: 0 };
    await this.ensureBaseline();
    this.baselineTaken = true;
    const counts = { crm: 0, erp: 0 };
    for (const system of ['crm', 'erp'] as const) {
      const cursor = (await this.repository.cursor(system)) ?? this.now().toISOString();
      const since = new Date(new Date(cursor).getTime() - (this.deps.pollOverlapMs ?? 2000)).toISOString();
      let newest = cursor;
      let after: string | null = null;
      for (;;) {
        const page: { items: (CrmAccount | ErpCustomer)[]; nextCursor: string | null } =
          system === 'crm'
            ? await this.deps.crm.listAccounts({ first: POLL_PAGE, after, updatedSince: since })
            : await this.deps.erp.listCustomers({ first: POLL_PAGE, after, updatedSince: since });
        const seen = await this.repository.versions(system, page.items.map(recordIdOf));
        const fresh = page.items.filter((row) => row.version > (seen.get(recordIdOf(row)) ?? 0));
        const results = await Promise.allSettled(fresh.map((row) => this.enqueue({ system, id: recordIdOf(row), force: false, occurredAt: row.updatedAt })));
        for (const result of results) {
          if (result.status === 'fulfilled') continue;
          // An outage keeps the cursor, so the next poll tries again; a record a backend refused shows ERROR on its link and waits for its next change.
          if (isTransient(result.reason)) throw result.reason;
          this.deps.logger.warn({ err: result.reason, system }, 'a polled change could not be synced; its customer shows sync state ERROR');
        }
        counts[system] += fresh.length;
        for (const row of page.items) if (row.updatedAt > newest) newest = row.updatedAt;
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      await this.repository.saveCursor(system, newest);
    }
    return counts;
  }

  /**
   * Once, on the first start after the links exist: reads both systems and records what is there
   * as known (each record's version, and for each linked pair that agrees its agreed values), and
   * starts the poll cursors at that moment. From then on a change is told from old data, a CRM
   * change from an ERP change; a pair that disagreed already has no agreed values, so whichever
   * touch comes first records the difference as a conflict instead of overwriting it unseen.
   */
  private ensureBaseline(): Promise<void> {
    this.baselining ??= this.baseline().finally(() => {
      this.baselining = undefined;
    });
    return this.baselining;
  }

  private async baseline(): Promise<void> {
    if ((await this.repository.cursor('crm')) !== null) return;
    const takenAt = this.now().toISOString();
    const [accounts, erpCustomers] = await Promise.all([
      readAll<CrmAccount>((after) => this.deps.crm.listAccounts({ first: 500, after })),
      readAll<ErpCustomer>((after) => this.deps.erp.listCustomers({ first: 500, after })),
    ]);
    const accountById = new Map(accounts.map((a) => [a.id.toLowerCase(), a]));
    const erpByNo = new Map(erpCustomers.map((c) => [c.customerNo, c]));
    const agreed: { linkId: string; fields: OwnedFields }[] = [];
    for (let after: string | undefined; ; ) {
      const links = await this.links.page({ after, limit: 1000 });
      for (const link of links) {
        const account = link.crmAccountId ? accountById.get(link.crmAccountId) : undefined;
        const erpCustomer = link.erpCustomerNo ? erpByNo.get(link.erpCustomerNo) : undefined;
        if (!account || !erpCustomer) continue;
        const fields = ownedFields(account);
        if (JSON.stringify(fields) === JSON.stringify(ownedFields(erpCustomer))) agreed.push({ linkId: link.id, fields });
      }
      if (links.length < 1000) break;
      after = links[links.length - 1].id;
    }
    for (let i = 0; i < agreed.length; i += 1000) await this.repository.saveManySnapshots(agreed.slice(i, i + 1000));
    // A record changed while the baseline was being read is left to the live sync, so one created
    // at that moment is still brought to the other side.
    const takenAtMs = new Date(takenAt).getTime();
    const versions = (rows: (CrmAccount | ErpCustomer)[]) =>
      rows.filter((r) => new Date(r.updatedAt).getTime() < takenAtMs).map((r) => ({ id: recordIdOf(r), version: r.version }));
    for (let i = 0; i < accounts.length; i += 1000) await this.repository.markManySeen('crm', versions(accounts.slice(i, i + 1000)));
    for (let i = 0; i < erpCustomers.length; i += 1000) await this.repository.markManySeen('erp', versions(erpCustomers.slice(i, i + 1000)));
    // The ERP cursor first: a crash before the CRM's leaves the baseline to be redone, which is harmless.
    await this.repository.saveCursor('erp', takenAt);
    await this.repository.saveCursor('crm', takenAt);
    this.deps.logger.info({ accounts: accounts.length, erpCustomers: erpCustomers.length, agreedPairs: agreed.length }, 'customer sync baseline taken');
  }

  /** Brings one record and its partner in step now (through the queue); `force` ignores the applied version. */
  syncRecord(system: SyncSystem, id: string, options: { force?: boolean; row?: CrmAccount | ErpCustomer } = {}): Promise<SyncOutcome> {
    return this.enqueue({ system, id, force: options.force ?? false, row: options.row });
  }

  private enqueue(request: Omit<QueuedRecord, 'done'>): Promise<SyncOutcome> {
    const key = `${request.system}:${request.id}`;
    const queued = this.waiting.get(key);
    if (queued && !request.force && !request.row) {
      // The waiting run re-reads the record anyway; keep the earliest change time for the delay metric.
      if (request.occurredAt && (!queued.occurredAt || request.occurredAt < queued.occurredAt)) queued.occurredAt = request.occurredAt;
      return queued.done;
    }
    const item = { ...request } as QueuedRecord;
    item.done = this.tail.catch(() => undefined).then(() => {
      if (this.waiting.get(key) === item) this.waiting.delete(key);
      return this.apply(item);
    });
    if (!queued) this.waiting.set(key, item);
    this.tail = item.done.catch(() => undefined);
    return item.done;
  }

  private async apply(item: QueuedRecord): Promise<SyncOutcome> {
    await this.ensureBaseline();
    await this.deps.gate.idle();
    const outcome = item.system === 'crm' ? await this.applyAccount(item) : await this.applyErpCustomer(item);
    if (item.occurredAt && outcome !== 'stale' && outcome !== 'missing') {
      this.propagation.observe({ source: item.system }, Math.max(0, (this.now().getTime() - new Date(item.occurredAt).getTime()) / 1000));
    }
    return outcome;
  }

  private async applyAccount(item: QueuedRecord): Promise<SyncOutcome> {
    const account = item.row && !isErpCustomer(item.row) ? item.row : (await this.deps.crm.getAccounts([item.id]))[0];
    if (!account) return 'missing';
    if (!item.force && !(await this.isNewer('crm', account.id, account.version))) return 'stale';
    const accountId = account.id.toLowerCase();
    const link: CustomerLink | undefined = (await this.links.findByCrmAccountIds([accountId]))[0];
    let erpCustomer: ErpCustomer | undefined;
    const erpNo = link?.erpCustomerNo ?? account.erpCustomerNo;
    if (erpNo) erpCustomer = (await this.deps.erp.getCustomers([erpNo]))[0];
    if (!erpCustomer && !link?.erpCustomerNo) erpCustomer = (await this.deps.erp.findCustomersByExternalRefs([accountId]))[0];
    if (!erpCustomer) return this.createErpCustomer(account, link);
    const pair = await this.pairLink('crm', accountId, erpCustomer.customerNo);
    if (!pair) return 'unchanged';
    return this.reconcilePair(pair, account, erpCustomer, { ownerChanged: !item.force });
  }

  private async applyErpCustomer(item: QueuedRecord): Promise<SyncOutcome> {
    const erpCustomer = item.row && isErpCustomer(item.row) ? item.row : (await this.deps.erp.getCustomers([item.id]))[0];
    if (!erpCustomer) return 'missing';
    if (!item.force && !(await this.isNewer('erp', erpCustomer.customerNo, erpCustomer.version))) return 'stale';
    const no = erpCustomer.customerNo;
    const link: CustomerLink | undefined = (await this.links.findByErpCustomerNos([no]))[0];
    let account: CrmAccount | undefined;
    const accountId = link?.crmAccountId ?? erpCustomer.externalRef?.toLowerCase();
    if (accountId) account = (await this.deps.crm.getAccounts([accountId]))[0];
    if (!account && !link?.crmAccountId) account = (await this.deps.crm.findAccountsByErpCustomerNos([no]))[0];
    if (!account) return this.createCrmAccount(erpCustomer, link);
    const pair = await this.pairLink('erp', account.id.toLowerCase(), no);
    if (!pair) return 'unchanged';
    return this.reconcilePair(pair, account, erpCustomer, { ownerChanged: false });
  }

  /**
   * The one link of a pair the systems' references name, made or completed if needed. Two
   * one-sided links of the same pair are merged into the CRM's (the CRM owns the master data; the
   * ERP-side id was never written anywhere but the link). Null, with the links left alone, when one
   * record is already paired with a third: the reconciliation reports that for a person to settle.
   */
  private async pairLink(origin: SyncSystem, accountId: string, customerNo: string): Promise<CustomerLink | null> {
    const found = await this.links.findByKeys({ crmAccountIds: [accountId], erpCustomerNos: [customerNo] });
    const byCrm = found.find((l) => l.crmAccountId === accountId);
    const byErp = found.find((l) => l.erpCustomerNo === customerNo);
    if (byCrm && byErp && byCrm.id === byErp.id) return byCrm;
    if (byCrm?.erpCustomerNo || byErp?.crmAccountId) {
      this.deps.logger.warn({ accountId, customerNo }, 'references name a record already linked to another; not paired');
      return null;
    }
    if (byCrm && byErp) await this.repository.dropLink(byErp.id);
    if (byCrm) return (await this.links.update(byCrm.id, { erpCustomerNo: customerNo }))!;
    if (byErp) return (await this.links.update(byErp.id, { crmAccountId: accountId }))!;
    const id = origin === 'crm' ? customerId('crm', accountId) : customerId('erp', customerNo);
    return this.insertLink({ id, crmAccountId: accountId, erpCustomerNo: customerNo });
  }

  /**
   * Both records exist and are linked: writes the references each keeps, mirrors CRM-owned fields
   * the CRM changed, and restores (and records) those the ERP changed. Writes nothing when both
   * agree, so the events of the sync's own writes end here as 'stale' or 'unchanged'.
   */
  private async reconcilePair(link: CustomerLink, account: CrmAccount, erpCustomer: ErpCustomer, options: { ownerChanged: boolean }): Promise<SyncOutcome> {
    const accountId = account.id.toLowerCase();
    const crmValues = ownedFields(account);
    const erpValues = ownedFields(erpCustomer);
    const snapshot = await this.repository.snapshot(link.id);
    const patch: Partial<ErpCustomerInput> = {};
    const conflicts: { field: string; crmValue: string | null; erpValue: string | null }[] = [];
    for (const field of CRM_OWNED_FIELDS) {
      if (crmValues[field] === erpValues[field]) continue;
      if (field === 'name') patch.name = account.name;
      else patch[field] = crmValues[field];
      // The ERP still holds the last agreed value: the CRM changed it, a normal mirror. Otherwise the ERP changed a field it does not own.
      if (!snapshot || erpValues[field] !== snapshot[field]) conflicts.push({ field, crmValue: crmValues[field], erpValue: erpValues[field] });
    }
    if (erpCustomer.externalRef?.toLowerCase() !== accountId) patch.externalRef = accountId;
    let outcome: SyncOutcome = conflicts.length > 0 ? 'conflict' : 'unchanged';
    try {
      if (Object.keys(patch).length > 0) {
        const key = `integration:sync:update-erp:${erpCustomer.customerNo}:${erpCustomer.version}:${account.version}`;
        const written = await this.deps.erp.updateCustomer(erpCustomer.customerNo, patch, key);
        await this.repository.markSeen('erp', written.customerNo, written.version);
        if (outcome === 'unchanged') outcome = 'updated';
      }
      if (account.erpCustomerNo !== erpCustomer.customerNo) {
        const key = `integration:sync:link-crm:${accountId}:${erpCustomer.customerNo}`;
        const written = await this.deps.crm.updateAccount(account.id, { erpCustomerNo: erpCustomer.customerNo }, key);
        await this.repository.markSeen('crm', accountId, written.version);
        if (outcome === 'unchanged') outcome = 'updated';
      }
    } catch (error) {
      await this.links.update(link.id, { syncState: 'ERROR', syncError: `sync write failed: ${messageOf(error)}` });
      throw error;
    }
    for (const c of conflicts) await this.repository.recordConflict(link.id, c.field, c.crmValue, c.erpValue);
    if (conflicts.length > 0) {
      this.deps.logger.warn({ customerId: link.id, fields: conflicts.map((c) => c.field) }, 'CRM-owned fields changed in the ERP; CRM values restored, conflict recorded');
    }
    // The owner speaking again settles an earlier conflict; any other change leaves it standing.
    let state: 'IN_SYNC' | 'CONFLICT' = link.syncState === 'CONFLICT' ? 'CONFLICT' : 'IN_SYNC';
    if (conflicts.length > 0) state = 'CONFLICT';
    else if (state === 'CONFLICT' && options.ownerChanged) {
      await this.repository.resolveConflicts(link.id);
      state = 'IN_SYNC';
    }
    await this.repository.saveSnapshot(link.id, crmValues);
    await this.repository.markSeen('crm', accountId, account.version);
    await this.repository.markSeen('erp', erpCustomer.customerNo, erpCustomer.version);
    await this.links.update(link.id, { syncState: state, syncError: null, lastSyncedAt: this.now().toISOString() });
    return outcome;
  }

  /** A CRM account without an ERP customer gets one, referring to it, and the account learns its number. */
  private async createErpCustomer(account: CrmAccount, link: CustomerLink | undefined): Promise<SyncOutcome> {
    const accountId = account.id.toLowerCase();
    const id = link?.id ?? customerId('crm', accountId);
    if (!link) link = await this.insertLink({ id, crmAccountId: accountId, erpCustomerNo: null });
    try {
      const input: ErpCustomerInput = { ...ownedFields(account), name: account.name, externalRef: accountId };
      const created = await this.deps.erp.createCustomer(input, `integration:sync:create-erp-customer:${accountId}`);
      await this.repository.markSeen('erp', created.customerNo, created.version);
      await this.links.update(id, { erpCustomerNo: created.customerNo });
      const updated = await this.deps.crm.updateAccount(account.id, { erpCustomerNo: created.customerNo }, `integration:sync:link-crm:${accountId}:${created.customerNo}`);
      await this.repository.markSeen('crm', accountId, updated.version);
    } catch (error) {
      await this.links.update(id, { syncState: 'ERROR', syncError: `ERP customer not created: ${messageOf(error)}` });
      throw error;
    }
    await this.repository.saveSnapshot(id, ownedFields(account));
    await this.links.update(id, { syncState: 'IN_SYNC', syncError: null, lastSyncedAt: this.now().toISOString() });
    return 'created-in-erp';
  }

  /** An ERP customer without a CRM account gets one (CRM fields taken from the ERP), and the ERP keeps its id. */
  private async createCrmAccount(erpCustomer: ErpCustomer, link: CustomerLink | undefined): Promise<SyncOutcome> {
    const no = erpCustomer.customerNo;
    const id = link?.id ?? customerId('erp', no);
    if (!link) link = await this.insertLink({ id, crmAccountId: null, erpCustomerNo: no });
    try {
      const input: CrmAccountInput = { ...ownedFields(erpCustomer), name: erpCustomer.name, erpCustomerNo: no };
      const created = await this.deps.crm.createAccount(input, `integration:sync:create-crm-account:${no}`);
      const accountId = created.id.toLowerCase();
      await this.repository.markSeen('crm', accountId, created.version);
      await this.links.update(id, { crmAccountId: accountId });
      const updated = await this.deps.erp.updateCustomer(no, { externalRef: accountId }, `integration:sync:link-erp:${no}:${accountId}`);
      await this.repository.markSeen('erp', no, updated.version);
      await this.repository.saveSnapshot(id, ownedFields(created));
    } catch (error) {
      await this.links.update(id, { syncState: 'ERROR', syncError: `CRM account not created: ${messageOf(error)}` });
      throw error;
    }
    await this.links.update(id, { syncState: 'IN_SYNC', syncError: null, lastSyncedAt: this.now().toISOString() });
    return 'created-in-crm';
  }

  private async insertLink(link: { id: string; crmAccountId: string | null; erpCustomerNo: string | null }): Promise<CustomerLink> {
    await this.links.insert({ ...link, syncState: 'PENDING', lastSyncedAt: null });
    const [stored] = await this.links.findByIds([link.id]);
    if (stored) return stored;
    // Another writer linked one of the keys first; follow its link.
    const [existing] = await this.links.findByKeys({ crmAccountIds: link.crmAccountId ? [link.crmAccountId] : [], erpCustomerNos: link.erpCustomerNo ? [link.erpCustomerNo] : [] });
    return existing;
  }

  private async isNewer(system: SyncSystem, recordId: string, version: number): Promise<boolean> {
    const seen = (await this.repository.versions(system, [recordId])).get(recordId) ?? 0;
    return version > seen;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

/** The CRM-owned fields of a record, empty strings read as null so both systems compare alike. */
export function ownedFields(record: { name: string; email: string | null; industry: string | null; country: string | null }): OwnedFields {
  const clean = (value: string | null) => (value === null || value === '' ? null : value);
  return { name: clean(record.name), email: clean(record.email), industry: clean(record.industry), country: clean(record.country) };
}

/** Follows a backend's cursor to the end. */
async function readAll<T>(fetchPage: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = [];
  for (let after: string | null = null; ; ) {
    const page: Page<T> = await fetchPage(after);
    rows.push(...page.items);
    if (!page.nextCursor || page.items.length === 0) return rows;
    after = page.nextCursor;
  }
}

function isErpCustomer(row: CrmAccount | ErpCustomer): row is ErpCustomer {
  return 'customerNo' in row;
}

function recordIdOf(row: CrmAccount | ErpCustomer): string {
  return isErpCustomer(row) ? row.customerNo : row.id.toLowerCase();
}

function isTransient(error: unknown): boolean {
  return !isAppError(error) || error.code === ErrorCode.UPSTREAM_UNAVAILABLE || error.code === ErrorCode.INTERNAL_SERVER_ERROR;
}

function messageOf(error: unknown): string {
  return isAppError(error) ? `${error.code}: ${error.message}` : ((error as Error)?.message ?? String(error));
}
