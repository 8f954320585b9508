import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { customerId } from '../../../platform/customer-id';
import type { Database } from '../../../platform/db';
import type { Logger } from '../../../platform/logger';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import { CustomerLinkRepository, type NewCustomerLink } from './customer-link.repository';

/** The references a CRM account keeps: its id and, once linked, the ERP number. */
type AccountRef = Pick<CrmAccount, 'id' | 'erpCustomerNo'>;
/** The references an ERP customer keeps: its number and, once linked, the CRM account id. */
type ErpCustomerRef = Pick<ErpCustomer, 'customerNo' | 'externalRef'>;

/**
 * Pairs CRM accounts with ERP customers by the references each system keeps, never by name: a
 * pair is linked when the account's ERP number names the ERP customer, or else when the ERP
 * customer's external reference names the account. Each record joins at most one pair (the
 * account's own reference wins a dispute; the loser stays one-sided for the reconciliation to
 * report). Pairs are IN_SYNC; one-sided customers are PENDING and were never synced.
 */
export function matchCustomerLinks(accounts: readonly AccountRef[], customers: readonly ErpCustomerRef[], now: string): NewCustomerLink[] {
  const customerByNo = new Map(customers.map((c) => [c.customerNo, c]));
  const accountById = new Map(accounts.map((a) => [a.id.toLowerCase(), a]));
  const partnerOfAccount = new Map<string, string>();
  const linkedCustomerNos = new Set<string>();

  for (const account of accounts) {
    const no = account.erpCustomerNo;
    if (no && customerByNo.has(no) && !linkedCustomerNos.has(no)) {
      partnerOfAccount.set(account.id.toLowerCase(), no);
      linkedCustomerNos.add(no);
    }
  }
  for (const customer of customers) {
    const ref = customer.externalRef?.toLowerCase();
    if (linkedCustomerNos.has(customer.customerNo) || !ref || !accountById.has(ref) || partnerOfAccount.has(ref)) continue;
    partnerOfAccount.set(ref, customer.customerNo);
    linkedCustomerNos.add(customer.customerNo);
  }

  const links: NewCustomerLink[] = [];
  for (const accountId of accountById.keys()) {
    const erpCustomerNo = partnerOfAccount.get(accountId) ?? null;
    links.push({
      id: customerId('crm', accountId),
      crmAccountId: accountId,
      erpCustomerNo,
      syncState: erpCustomerNo ? 'IN_SYNC' : 'PENDING',
      lastSyncedAt: erpCustomerNo ? now : null,
    });
  }
  for (const customer of customers) {
    if (linkedCustomerNos.has(customer.customerNo)) continue;
    links.push({ id: customerId('erp', customer.customerNo), crmAccountId: null, erpCustomerNo: customer.customerNo, syncState: 'PENDING', lastSyncedAt: null });
  }
  return links;
}

/** What the link bootstrap needs. */
export interface LinkBootstrapOptions {
  db: Database;
  erp: Pick<IntegrationErp, 'listCustomers'>;
  crm: Pick<IntegrationCrm, 'listAccounts'>;
  logger: Logger;
  /** Rows per backend list call; default 500 (the backends' cap). */
  pageSize?: number;
  /** First wait before retrying after a failure, doubling up to `maxRetryMs`; default 1000. */
  retryMs?: number;
  /** Longest wait between retries; default 30000. */
  maxRetryMs?: number;
  now?: () => Date;
}

/** What one bootstrap run did. */
export interface LinkBootstrapResult {
  /** Links inserted by this run. */
  created: number;
  /** True when links existed already, so nothing was read from the backends. */
  skipped: boolean;
}

/**
 * Builds the customer links once, when the link table is empty: reads every CRM account and ERP
 * customer and stores the pairs. The backends may start after this service, so `start()` retries
 * in the background until both answer, while `/health` stays up and `/ready` reports `isDone()`.
 */
export class LinkBootstrap {
  private done = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly options: LinkBootstrapOptions) {}

  /** True once links exist (or both systems were read and held no customer at all). */
  isDone(): boolean {
    return this.done;
  }

  /** Runs the bootstrap in the background, retrying with backoff until it succeeds or stop(). */
  start(): void {
    this.stopped = false;
    const attempt = (delay: number) => {
      this.running = this.runOnce().catch((error: unknown) => {
        if (this.stopped) return;
        this.options.logger.warn({ err: error, retryInMs: delay }, 'customer link bootstrap failed; retrying');
        this.timer = setTimeout(() => attempt(Math.min(delay * 2, this.options.maxRetryMs ?? 30_000)), delay);
      });
    };
    attempt(this.options.retryMs ?? 1000);
  }

  /** Stops retrying and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One attempt: skips when links exist, otherwise reads both systems and inserts the links. */
  async runOnce(): Promise<LinkBootstrapResult> {
    const { db, logger } = this.options;
    if ((await new CustomerLinkRepository(db).count()) > 0) {
      this.done = true;
      return { created: 0, skipped: true };
    }
    const first = this.options.pageSize ?? 500;
    const [accounts, customers] = await Promise.all([
      readAll<CrmAccount>((after) => this.options.crm.listAccounts({ first, after })),
      readAll<ErpCustomer>((after) => this.options.erp.listCustomers({ first, after })),
    ]);
    const links = matchCustomerLinks(accounts, customers, (this.options.now?.() ?? new Date()).toISOString());
    // One transaction: a crash half-way leaves an empty table, so the next start redoes it all.
    const created = await db.transaction(async (tx) => {
      const repository = new CustomerLinkRepository(tx);
      let inserted = 0;
      for (let i = 0; i < links.length; i += 1000) inserted += (await repository.insertMany(links.slice(i, i + 1000))).length;
      return inserted;
    });
    this.done = true;
    logger.info({ accounts: accounts.length, erpCustomers: customers.length, links: links.length, created }, 'customer links bootstrapped');
    return { created, skipped: false };
  }
}

/** Follows a backend's cursor to the end. */
async function readAll<T>(fetchPage: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = [];
  const seen = new Set<string>();
  let after: string | null = null;
  for (;;) {
    const page: Page<T> = await fetchPage(after);
    rows.push(...page.items);
    if (!page.nextCursor) return rows;
    // A backend handing out the same cursor twice would loop forever.
    if (seen.has(page.nextCursor)) throw new Error(`backend repeated cursor ${page.nextCursor}`);
    seen.add(page.nextCursor);
    after = page.nextCursor;
  }
}
