import { Histogram } from 'prom-client';
import type PgBoss from 'pg-boss';
import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import type { Database } from '../../../platform/db';
import { ErrorCode, isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import { PollLoop } from '../../../platform/poll-loop';
import type { ServiceMetrics } from '../../../platform/metrics';
import type { ChangeEvent } from '../../../platform/outbox';
import { JOB_SCHEMA, type JobQueueDefinition } from '../flows/engine/job-queue';
import { type CustomerLink, CustomerLinkRepository } from '../links/customer-link.repository';
import type { CustomerLinker } from '../links/customer-linker';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import type { ChangeEventBus } from '../webhooks/change-event-bus';
import { mergeCustomer, ownedFields } from './customer-merge';
import type { OwnWriteGate } from './own-write-gate';
import { type OwnedFields, SyncRepository, type SyncSystem } from './sync.repository';

export { ownedFields } from './customer-merge';

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

/** The job queue the sync's work runs on (pg-boss, beside the flows' queues). */
export const CUSTOMER_SYNC_QUEUE = 'customer-sync';

/**
 * The sync queue: one waiting and one running job per record at most (a change arriving while its
 * record waits merges into the waiting job); a failed job (a backend away) is retried with backoff
 * for hours; a job whose worker died is taken again once it expires.
 */
export function customerSyncQueue(options: { expireInSeconds?: number } = {}): JobQueueDefinition {
  return { name: CUSTOMER_SYNC_QUEUE, policy: 'stately', retryLimit: 16, retryDelay: 1, retryBackoff: true, expireInSeconds: options.expireInSeconds ?? 120 };
}

/** What the sync needs. */
export interface CustomerSyncDeps {
  db: Database;
  erp: IntegrationErp;
  crm: IntegrationCrm;
  logger: Logger;
  gate: OwnWriteGate;
  /** Gives a record without a partner its partner, the same way createCustomer and order flows do. */
  linker: CustomerLinker;
  /** The durable job queue (with `customerSyncQueue()` created on it). */
  boss: PgBoss;
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

/** One record to bring in step, as a job carries it: which, and when its change happened (for the delay metric). */
interface SyncJob {
  system: SyncSystem;
  id: string;
  occurredAt?: string;
}

/** One record to bring in step now. */
interface SyncRequest extends SyncJob {
  force: boolean;
  /** The row already read, when the caller has a fresh one (the resync). */
  row?: CrmAccount | ErpCustomer;
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
 * The rule for a linked pair is the pure `mergeCustomer`; creating a partner is the linker's. The
 * work runs as jobs on the durable job queue the flows use: an event or a polled change is a job
 * (committed before the webhook is answered or the poll cursor moves), so a crash mid-sync leaves
 * the job to be taken again and the change still arrives. One worker per process takes one record
 * at a time, which keeps two events of one customer from racing; with replicas the linker's
 * per-account keys keep a creation single.
 */
export class CustomerSync {
  private readonly links: CustomerLinkRepository;
  private readonly repository: SyncRepository;
  private baselineTaken = false;
  private readonly propagation: Histogram;
  private lagPrunedAt = 0;
  /** One record at a time in this process, jobs and direct calls (the resync) alike. */
  private tail: Promise<unknown> = Promise.resolve();
  private workerId?: string;
  // Until the links exist and the baseline is taken, the catch-up poll looks again soon: readiness waits on it.
  private readonly catchUp = new PollLoop({
    run: async () => {
      await this.pollOnce();
      return this.nextPollMs();
    },
    onError: (error) => {
      this.deps.logger.warn({ err: error }, 'sync catch-up poll failed; retrying at the next interval');
      return this.nextPollMs();
    },
  });
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

  /** Starts taking sync jobs in this process (the server does at build, so queued work resumes). */
  async startWorker(): Promise<void> {
    this.workerId = await this.deps.boss.work<SyncJob>(CUSTOMER_SYNC_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      await this.runJob(job.data);
    });
  }

  /** Starts the catch-up poll (it waits for the link bootstrap). */
  start(): void {
    this.catchUp.start();
  }

  private nextPollMs(): number {
    const interval = this.deps.pollIntervalMs ?? 2000;
    return this.baselineTaken ? interval : Math.min(250, interval);
  }

  /** Stops polling and taking jobs, and waits for the record in hand; queued jobs stay for the next start. */
  async stop(): Promise<void> {
    await this.catchUp.stop();
    if (this.workerId) await this.deps.boss.offWork({ id: this.workerId }).catch(() => undefined);
    await this.tail.catch(() => undefined);
  }

  /** Resolves when no sync job is due or running and nothing is in hand (tests wait on it). */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail.catch(() => undefined);
      const { rows } = await this.deps.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${JOB_SCHEMA}.job WHERE name = $1 AND (state = 'active' OR (state IN ('created', 'retry') AND start_after <= now()))`,
        [CUSTOMER_SYNC_QUEUE],
      );
      if (Number(rows[0].n) === 0 && tail === this.tail) return;
      if (this.workerId) this.deps.boss.notifyWorker(this.workerId);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Queues the record an event names (the event's content beyond the id is not trusted) as a
   * durable job and returns, so the webhook is answered without waiting for the backends.
   */
  async onEvent(event: ChangeEvent): Promise<void> {
    if (!this.deps.ready()) return;
    const system = event.source === 'crm' ? 'crm' : 'erp';
    await this.enqueue({ system, id: event.entityId, occurredAt: event.occurredAt });
  }

  /**
   * Reads what changed in each system since its cursor (less the overlap) and queues every row not
   * applied yet: what webhooks missed. The cursor stays while a backend cannot be read. The first
   * poll takes the baseline; data older than it is the resync's to onboard.
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
        // Queued durably before the cursor moves: the jobs see the change through, retrying while a backend is away.
        for (const row of fresh) await this.enqueue({ system, id: recordIdOf(row), occurredAt: row.updatedAt });
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

  /** Brings one record and its partner in step now, in turn with the jobs of this process; `force` ignores the applied version. */
  syncRecord(system: SyncSystem, id: string, options: { force?: boolean; row?: CrmAccount | ErpCustomer } = {}): Promise<SyncOutcome> {
    return this.inTurn(() => this.apply({ system, id, force: options.force ?? false, row: options.row }));
  }

  private async enqueue(job: SyncJob): Promise<void> {
    // A record already waiting is not queued twice (the waiting job re-reads it anyway).
    const sent = await this.deps.boss.send(CUSTOMER_SYNC_QUEUE, job, { singletonKey: `${job.system}:${job.id}` });
    if (sent && this.workerId) this.deps.boss.notifyWorker(this.workerId);
  }

  /** One job: a refusal by a backend is the record's (its link shows ERROR); anything else fails the job, which is retried. */
  private async runJob(job: SyncJob): Promise<void> {
    try {
      await this.inTurn(() => this.apply({ ...job, force: false }));
    } catch (error) {
      if (isTransient(error)) throw error;
      this.deps.logger.warn({ err: error, system: job.system, id: job.id }, 'a customer change could not be synced; its customer shows sync state ERROR');
    }
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.catch(() => undefined).then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async apply(item: SyncRequest): Promise<SyncOutcome> {
    await this.ensureBaseline();
    await this.deps.gate.idle();
    const outcome = item.system === 'crm' ? await this.applyAccount(item) : await this.applyErpCustomer(item);
    if (item.occurredAt && outcome !== 'stale' && outcome !== 'missing') {
      const seconds = Math.max(0, (this.now().getTime() - new Date(item.occurredAt).getTime()) / 1000);
      this.propagation.observe({ source: item.system }, seconds);
      // Kept for the console's lag chart too; old rows are pruned at most every ten minutes.
      const prune = Date.now() - this.lagPrunedAt > 600_000;
      if (prune) this.lagPrunedAt = Date.now();
      await this.repository.recordLag(item.system, seconds, prune);
    }
    return outcome;
  }

  private async applyAccount(item: SyncRequest): Promise<SyncOutcome> {
    const account = item.row && !isErpCustomer(item.row) ? item.row : (await this.deps.crm.getAccounts([item.id]))[0];
    if (!account) return 'missing';
    if (!item.force && !(await this.isNewer('crm', account.id, account.version))) return 'stale';
    const accountId = account.id.toLowerCase();
    const link: CustomerLink | undefined = (await this.links.findByCrmAccountIds([accountId]))[0];
    let erpCustomer: ErpCustomer | undefined;
    const erpNo = link?.erpCustomerNo ?? account.erpCustomerNo;
    if (erpNo) erpCustomer = (await this.deps.erp.getCustomers([erpNo]))[0];
    if (!erpCustomer && !link?.erpCustomerNo) erpCustomer = (await this.deps.erp.findCustomersByExternalRefs([accountId]))[0];
    if (!erpCustomer) {
      const linked = await this.deps.linker.giveErpCustomer(account, { lookFirst: false });
      await this.repository.markSeen('erp', linked.erpCustomer.customerNo, linked.erpCustomer.version);
      await this.repository.markSeen('crm', accountId, linked.account.version);
      // Created by a concurrent writer meanwhile: compare the pair like any other.
      if (!linked.created) erpCustomer = linked.erpCustomer;
      else {
        if (linked.link) await this.repository.saveSnapshot(linked.link.id, ownedFields(account));
        return 'created-in-erp';
      }
    }
    const pair = await this.deps.linker.pair('crm', accountId, erpCustomer.customerNo);
    if (!pair) return 'unchanged';
    return this.reconcilePair(pair, account, erpCustomer, { ownerChanged: !item.force });
  }

  private async applyErpCustomer(item: SyncRequest): Promise<SyncOutcome> {
    const erpCustomer = item.row && isErpCustomer(item.row) ? item.row : (await this.deps.erp.getCustomers([item.id]))[0];
    if (!erpCustomer) return 'missing';
    if (!item.force && !(await this.isNewer('erp', erpCustomer.customerNo, erpCustomer.version))) return 'stale';
    const no = erpCustomer.customerNo;
    const link: CustomerLink | undefined = (await this.links.findByErpCustomerNos([no]))[0];
    let account: CrmAccount | undefined;
    const accountId = link?.crmAccountId ?? erpCustomer.externalRef?.toLowerCase();
    if (accountId) account = (await this.deps.crm.getAccounts([accountId]))[0];
    if (!account && !link?.crmAccountId) account = (await this.deps.crm.findAccountsByErpCustomerNos([no]))[0];
    if (!account) {
      const linked = await this.deps.linker.giveCrmAccount(erpCustomer);
      await this.repository.markSeen('crm', linked.account.id.toLowerCase(), linked.account.version);
      await this.repository.markSeen('erp', no, linked.erpCustomer.version);
      if (!linked.created) account = linked.account;
      else {
        if (linked.link) await this.repository.saveSnapshot(linked.link.id, ownedFields(linked.account));
        return 'created-in-crm';
      }
    }
    const pair = await this.deps.linker.pair('erp', account.id.toLowerCase(), no);
    if (!pair) return 'unchanged';
    return this.reconcilePair(pair, account, erpCustomer, { ownerChanged: false });
  }

  /**
   * Both records exist and are linked: applies the merge rule's writes (references each keeps,
   * CRM-owned fields mirrored or restored) and records its conflicts. Writes nothing when both
   * agree, so the events of the sync's own writes end here as 'stale' or 'unchanged'.
   */
  private async reconcilePair(link: CustomerLink, account: CrmAccount, erpCustomer: ErpCustomer, options: { ownerChanged: boolean }): Promise<SyncOutcome> {
    const accountId = account.id.toLowerCase();
    const { patches, conflicts } = mergeCustomer(account, erpCustomer, await this.repository.snapshot(link.id));
    let outcome: SyncOutcome = conflicts.length > 0 ? 'conflict' : 'unchanged';
    try {
      if (Object.keys(patches.erp).length > 0) {
        const key = `integration:sync:update-erp:${erpCustomer.customerNo}:${erpCustomer.version}:${account.version}`;
        const written = await this.deps.erp.updateCustomer(erpCustomer.customerNo, patches.erp, key);
        await this.repository.markSeen('erp', written.customerNo, written.version);
        if (outcome === 'unchanged') outcome = 'updated';
      }
      if (Object.keys(patches.crm).length > 0) {
        const key = `integration:sync:link-crm:${accountId}:${erpCustomer.customerNo}`;
        const written = await this.deps.crm.updateAccount(account.id, patches.crm, key);
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
    await this.repository.saveSnapshot(link.id, ownedFields(account));
    await this.repository.markSeen('crm', accountId, account.version);
    await this.repository.markSeen('erp', erpCustomer.customerNo, erpCustomer.version);
    await this.links.update(link.id, { syncState: state, syncError: null, lastSyncedAt: this.now().toISOString() });
    return outcome;
  }

  private async isNewer(system: SyncSystem, recordId: string, version: number): Promise<boolean> {
    const seen = (await this.repository.versions(system, [recordId])).get(recordId) ?? 0;
    return version > seen;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
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
