import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import type { Database } from '../../../platform/db';
import { ErrorCode, isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import type { CustomerSync, SyncOutcome } from './customer-sync';

/** Where a full resync stands, as the admin API and the CLI show it. */
export interface ResyncRun {
  id: number;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  /** The system being walked: every CRM account first, then every ERP customer. */
  phase: 'crm' | 'erp' | 'done';
  processed: number;
  /** Records to walk: both systems' counts at the start, made exact for the ERP when its walk begins. */
  total: number;
  /** Records per outcome; `failed` counts records a backend refused (each link shows ERROR with the reason). */
  summary: Partial<Record<SyncOutcome | 'failed', number>>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What the resync needs. */
export interface FullResyncDeps {
  db: Database;
  erp: Pick<IntegrationErp, 'listCustomers'>;
  crm: Pick<IntegrationCrm, 'listAccounts'>;
  sync: Pick<CustomerSync, 'syncRecord'>;
  logger: Logger;
  /** Records per page (and per committed progress step); default 100. */
  pageSize?: number;
}

interface RunRow {
  id: number;
  status: ResyncRun['status'];
  phase: ResyncRun['phase'];
  after_cursor: string | null;
  processed: number;
  total: number;
  summary: ResyncRun['summary'] | string;
  error: string | null;
  started_at: Date | string;
  finished_at: Date | string | null;
}

/**
 * Onboards two systems that already hold data: walks every CRM account, then every ERP customer,
 * and brings each in step through the sync, forced past its applied-version check (so records
 * that existed before the live sync, which leaves them alone, are paired, created on the other
 * side or corrected owner-wins, with any differing ERP value recorded as a conflict). Progress is
 * committed after every page: a run interrupted by a crash or a backend outage resumes from its
 * last page (started again, or at the service's next start); redoing a page is harmless because
 * syncing a record that is in step writes nothing.
 */
export class FullResync {
  private active?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: FullResyncDeps) {}

  /** Starts a run, or resumes the unfinished latest one; returns at once with its status. */
  async start(): Promise<ResyncRun> {
    if (this.active) return (await this.latest())!;
    let run = await this.latest();
    if (run && run.status !== 'COMPLETED') {
      await this.deps.db.query(`UPDATE resync_runs SET status = 'RUNNING', error = NULL, updated_at = now() WHERE id = $1`, [run.id]);
    } else {
      const [crm, erp] = await Promise.all([this.deps.crm.listAccounts({ first: 1 }), this.deps.erp.listCustomers({ first: 1 })]);
      const { rows } = await this.deps.db.query<{ id: number }>(
        `INSERT INTO resync_runs (status, phase, total) VALUES ('RUNNING', 'crm', $1) RETURNING id`,
        [crm.totalCount + erp.totalCount],
      );
      run = { id: Number(rows[0].id) } as ResyncRun;
    }
    this.launch(run.id);
    return (await this.latest())!;
  }

  /** Resumes a run left RUNNING by a previous process (main calls it once the links exist). */
  async resumeInterrupted(): Promise<void> {
    const run = await this.latest();
    if (run?.status === 'RUNNING' && !this.active) {
      this.deps.logger.info({ runId: run.id, phase: run.phase, processed: run.processed }, 'resuming an interrupted full resync');
      this.launch(run.id);
    }
  }

  /** The newest run, or null when none ever ran. */
  async latest(): Promise<ResyncRun | null> {
    const { rows } = await this.deps.db.query<RunRow>('SELECT * FROM resync_runs ORDER BY id DESC LIMIT 1');
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Resolves when the run in progress (if any) has stopped. */
  async settled(): Promise<void> {
    await this.active;
  }

  /** Stops after the current page; the run stays RUNNING and resumes at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.active;
  }

  private launch(id: number): void {
    this.stopped = false;
    this.active = this.walk(id)
      .catch(async (error: unknown) => {
        const message = isAppError(error) ? `${error.code}: ${error.message}` : ((error as Error)?.message ?? String(error));
        this.deps.logger.warn({ err: error, runId: id }, 'full resync stopped; start it again to resume');
        await this.deps.db.query(`UPDATE resync_runs SET status = 'FAILED', error = $2, updated_at = now() WHERE id = $1`, [id, message]);
      })
      .finally(() => {
        this.active = undefined;
      });
  }

  private async walk(id: number): Promise<void> {
    const first = this.deps.pageSize ?? 100;
    for (;;) {
      if (this.stopped) return;
      const { rows } = await this.deps.db.query<RunRow>('SELECT * FROM resync_runs WHERE id = $1', [id]);
      const row = rows[0];
      const run = toRun(row);
      if (run.phase === 'done') return;
      const page: Page<CrmAccount | ErpCustomer> =
        run.phase === 'crm'
          ? await this.deps.crm.listAccounts({ first, after: row.after_cursor })
          : await this.deps.erp.listCustomers({ first, after: row.after_cursor });
      const summary = { ...run.summary };
      for (const record of page.items) {
        const recordId = 'customerNo' in record ? record.customerNo : record.id;
        let outcome: SyncOutcome | 'failed';
        try {
          outcome = await this.deps.sync.syncRecord(run.phase, recordId, { force: true, row: record });
        } catch (error) {
          // A backend refusing one record (e.g. a value it does not accept) is that record's problem; an outage stops the run.
          if (!isAppError(error) || error.code === ErrorCode.UPSTREAM_UNAVAILABLE || error.code === ErrorCode.INTERNAL_SERVER_ERROR) throw error;
          this.deps.logger.warn({ err: error, system: run.phase, recordId }, 'record refused during the full resync; its link shows ERROR');
          outcome = 'failed';
        }
        summary[outcome] = (summary[outcome] ?? 0) + 1;
      }
      const nextPhase = page.nextCursor ? run.phase : run.phase === 'crm' ? 'erp' : 'done';
      // The CRM walk has just created ERP customers: the total becomes exact for the ERP walk.
      const total = nextPhase === 'erp' && run.phase === 'crm' ? run.processed + page.items.length + (await this.deps.erp.listCustomers({ first: 1 })).totalCount : run.total;
      await this.deps.db.query(
        `UPDATE resync_runs SET phase = $2, after_cursor = $3, processed = processed + $4, summary = $5::jsonb, total = $6, updated_at = now(),
           status = CASE WHEN $2 = 'done' THEN 'COMPLETED' ELSE status END,
           finished_at = CASE WHEN $2 = 'done' THEN now() ELSE finished_at END
         WHERE id = $1`,
        [id, nextPhase, page.nextCursor, page.items.length, JSON.stringify(summary), total],
      );
      if (nextPhase === 'done') this.deps.logger.info({ runId: id, summary }, 'full resync completed');
    }
  }
}

function toRun(row: RunRow): ResyncRun {
  return {
    id: Number(row.id),
    status: row.status,
    phase: row.phase,
    processed: Number(row.processed),
    total: Number(row.total),
    summary: typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary,
    error: row.error,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
  };
}
