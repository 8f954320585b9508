import type { CrmAccount, CrmOpportunity } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpSalesOrder } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import type { Database } from '../../../platform/db';
import type { Logger } from '../../../platform/logger';
import { PollLoop } from '../../../platform/poll-loop';
import { type CustomerLink, CustomerLinkRepository } from '../links/customer-link.repository';
import type { ReconciliationCrm, ReconciliationErp } from '../ports';
import { SyncRepository } from '../sync/sync.repository';
import { LiveEventRepository } from '../live/live-event.repository';
import { type Issue, findIssues, issueId } from './find-issues';

/** One stored reconciliation report. */
export interface ReconciliationReport {
  checkedAt: string;
  issues: Issue[];
}

/** What the reconciliation needs. */
export interface ReconciliationDeps {
  db: Database;
  erp: ReconciliationErp;
  crm: ReconciliationCrm;
  logger: Logger;
  /** True once the customer links exist; the schedule waits for it. */
  ready: () => boolean;
  /** Interval of the scheduled runs; default 15 minutes. */
  intervalMs?: number;
  /** Rows per backend list call; default 500 (the backends' cap). */
  pageSize?: number;
  /** Sales order ids per batch read; default 200. */
  batchSize?: number;
  now?: () => Date;
}

/** How many reports are kept; older ones are deleted after each run. */
const REPORTS_KEPT = 20;

/**
 * Runs the reconciliation: reads every CRM account and opportunity and every ERP customer page by
 * page through the connectors, the orders the opportunities name in batches, the links and the
 * open sync conflicts, compares them (find-issues.ts) and stores the report. Runs on a schedule
 * once the links exist, and on demand; concurrent requests share one run.
 */
export class ReconciliationService {
  private running?: Promise<ReconciliationReport>;
  // Until the links exist, the schedule looks again every half second.
  private readonly schedule = new PollLoop({
    run: async () => {
      if (!this.deps.ready()) return 500;
      await this.run();
      return this.deps.intervalMs ?? 900_000;
    },
    onError: (error) => {
      this.deps.logger.warn({ err: error }, 'scheduled reconciliation failed; retrying at the next interval');
      return this.deps.intervalMs ?? 900_000;
    },
  });

  constructor(private readonly deps: ReconciliationDeps) {}

  /** Runs now (or joins the run in progress) and returns the fresh, stored report. */
  run(): Promise<ReconciliationReport> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The newest stored report; runs one first when none exists. */
  async latest(): Promise<ReconciliationReport> {
    const { rows } = await this.deps.db.query<{ checked_at: Date | string; issues: Issue[] | string }>(
      'SELECT checked_at, issues FROM reconciliation_reports ORDER BY id DESC LIMIT 1',
    );
    if (!rows[0]) return this.run();
    return { checkedAt: new Date(rows[0].checked_at).toISOString(), issues: parseIssues(rows[0].issues) };
  }

  /** Starts the schedule: a first run as soon as the links exist, then every interval. */
  start(): void {
    this.schedule.start();
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    await this.schedule.stop();
    await this.running?.catch(() => undefined);
  }

  private async runOnce(): Promise<ReconciliationReport> {
    const started = Date.now();
    const first = this.deps.pageSize ?? 500;
    const [accounts, erpCustomers, opportunities, links, openConflicts] = await Promise.all([
      readAll<CrmAccount>((after) => this.deps.crm.listAccounts({ first, after })),
      readAll<ErpCustomer>((after) => this.deps.erp.listCustomers({ first, after })),
      readAll<CrmOpportunity>((after) => this.deps.crm.listOpportunities({ first, after })),
      this.allLinks(),
      new SyncRepository(this.deps.db).openConflicts(),
    ]);
    const orderIds = [...new Set(opportunities.flatMap((o) => (o.erpSalesOrderId ? [o.erpSalesOrderId] : [])))];
    const salesOrders: ErpSalesOrder[] = [];
    const batch = this.deps.batchSize ?? 200;
    for (let i = 0; i < orderIds.length; i += batch) salesOrders.push(...(await this.deps.erp.getSalesOrders(orderIds.slice(i, i + batch))));

    const issues = findIssues({ accounts, erpCustomers, links, opportunities, salesOrders, openConflicts });
    const checkedAt = (this.deps.now?.() ?? new Date()).toISOString();
    await this.deps.db.transaction(async (tx) => {
      // Findings not in the previous report are new: subscribers to dataQualityIssueRaised hear of them.
      const previous = await tx.query<{ issues: Issue[] | string }>('SELECT issues FROM reconciliation_reports ORDER BY id DESC LIMIT 1');
      const known = new Set((previous.rows.length > 0 ? parseIssues(previous.rows[0].issues) : []).map(issueId));
      const raised = issues.filter((issue) => !known.has(issueId(issue)));
      await new LiveEventRepository(tx).append(raised.map((issue) => ({ type: 'dataQualityIssue.raised', key: issueId(issue), customerId: issue.customerId, data: { kind: issue.kind } })));
      await tx.query('INSERT INTO reconciliation_reports (checked_at, issues) VALUES ($1, $2::jsonb)', [checkedAt, JSON.stringify(issues)]);
      await tx.query(`DELETE FROM reconciliation_reports WHERE id NOT IN (SELECT id FROM reconciliation_reports ORDER BY id DESC LIMIT ${REPORTS_KEPT})`);
    });
    this.deps.logger.info({ issues: issues.length, accounts: accounts.length, erpCustomers: erpCustomers.length, opportunities: opportunities.length, ms: Date.now() - started }, 'reconciliation done');
    return { checkedAt, issues };
  }

  private async allLinks(): Promise<CustomerLink[]> {
    const repository = new CustomerLinkRepository(this.deps.db);
    const links: CustomerLink[] = [];
    for (let after: string | undefined; ; ) {
      const page = await repository.page({ after, limit: 1000 });
      links.push(...page);
      if (page.length < 1000) return links;
      after = page[page.length - 1].id;
    }
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

function parseIssues(issues: Issue[] | string): Issue[] {
  return typeof issues === 'string' ? JSON.parse(issues) : issues;
}
