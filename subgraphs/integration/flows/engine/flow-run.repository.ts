import type { Queryable } from '../../../../platform/db';
import type { ChangedRecord, WaitTarget } from './flow-step';
import { isUuid } from '../../../../platform/input-ids';

/** Where a run stands. */
export type FlowRunStatus = 'RUNNING' | 'WAITING' | 'RETRYING' | 'COMPLETED' | 'FAILED' | 'COMPENSATING' | 'COMPENSATED';
/** Where one step stands. */
export type FlowStepStatus = 'PENDING' | 'RUNNING' | 'WAITING' | 'RETRYING' | 'DONE' | 'FAILED' | 'COMPENSATED' | 'SKIPPED';

/** The statuses of a run not finished yet: a worker or the catch-up poll still has work on it. */
export const UNFINISHED_STATUSES: readonly FlowRunStatus[] = ['RUNNING', 'WAITING', 'RETRYING', 'COMPENSATING'];
const UNFINISHED_SQL = UNFINISHED_STATUSES.map((s) => `'${s}'`).join(', ');

/** Why and until when a run's step is being retried (times are ISO instants). */
export interface FlowRunRetry {
  /** The error code of the last failure, e.g. UPSTREAM_UNAVAILABLE. */
  cause: string;
  /** The backend it came from ("erp", "crm"), when known. */
  system: string | null;
  /** The first failure of the streak; the retry window counts from here. */
  since: string;
  /** The end of the window: a failure after it makes the run FAILED. */
  until: string;
  /** When the step is tried next (sooner when its backend is seen answering again). */
  nextAttemptAt: string;
}

/** One flow run as stored. */
export interface FlowRun {
  id: string;
  flow: string;
  idempotencyKey: string;
  requestHash: string;
  status: FlowRunStatus;
  phase: 'forward' | 'compensating';
  /** The ids the run is found by, by the names its flow declares (e.g. opportunity, salesOrder). */
  refs: Readonly<Record<string, string>>;
  input: Record<string, unknown>;
  state: Record<string, unknown>;
  error: string | null;
  errorCode: string | null;
  cancelRequested: boolean;
  /** Set while a step is retried after transient failures (the run RETRYING, or COMPENSATING while an undo is). */
  retry: FlowRunRetry | null;
  requestId: string | null;
  /** The W3C traceparent of the request that started the run; null when tracing was off. */
  traceParent: string | null;
  startedAt: string;
  updatedAt: string;
}

/** One step of a run as stored. */
export interface FlowStepRow {
  runId: string;
  position: number;
  name: string;
  status: FlowStepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  compensation: unknown;
}

/** A new run with its steps, all PENDING. */
export interface NewFlowRun {
  id: string;
  flow: string;
  idempotencyKey: string;
  requestHash: string;
  input: object;
  requestId: string | null;
  traceParent: string | null;
  steps: readonly string[];
  /** The ids it is found by from the start; a unique one already taken by another run of the flow refuses the run. */
  refs: readonly FlowRunRef[];
}

/** One id a run is found by. */
export interface FlowRunRef {
  name: string;
  value: string;
  unique: boolean;
}

/** A unique id of a new run is already another run's: nothing was written. */
export class FlowRefTaken extends Error {
  constructor(readonly ref: FlowRunRef) {
    super(`another run is found by ${ref.name} ${ref.value}`);
  }
}

/** How a lease holder's write ends. */
export interface LeaseRelease {
  /** Give the lease back: another worker (or the catch-up poll) may take the run from here. */
  release: boolean;
}

/** What a lease holder may change on its run. */
export interface FlowRunPatch {
  status?: FlowRunStatus;
  phase?: 'forward' | 'compensating';
  state?: object;
  error?: string | null;
  errorCode?: string | null;
  /** Milliseconds from now until the catch-up poll looks at the run again. */
  checkAgainInMs?: number;
  /** The retry the run is in (null: none any more; absent: unchanged). */
  retry?: FlowRunRetry | null;
}

/** Runs found by one of their refs: the ref's name and value. */
export interface FlowRefFilter {
  name: string;
  value: string;
}

/** SQL: no filter when parameter $n (the ref's name) is null, else runs holding that ref ($n+1 its value). */
const REF_FILTER = (n: number) =>
  `($${n}::text IS NULL OR id IN (SELECT run_id FROM flow_run_refs WHERE flow = flow_runs.flow AND name = $${n} AND value = $${n + 1}::text))`;

const RUN_COLUMNS = `id, flow, idempotency_key, request_hash, status, phase, input, state,
  error, error_code, cancel_requested, request_id, trace_parent, started_at, updated_at,
  retry_cause, retry_system, retry_since, retry_until, next_attempt_at,
  (SELECT jsonb_object_agg(r.name, r.value) FROM flow_run_refs r WHERE r.run_id = flow_runs.id) AS refs`;
const STEP_COLUMNS = 'run_id, position, name, status, attempts, started_at, finished_at, error, compensation';
/** One more attempt of a step: RUNNING, unless it is RETRYING, which it stays (with its last failure) until it succeeds. */
const STEP_ATTEMPT = `status = CASE WHEN status = 'RETRYING' THEN status ELSE 'RUNNING' END, attempts = attempts + 1,
  started_at = COALESCE(started_at, now()), error = CASE WHEN status = 'RETRYING' THEN error ELSE NULL END`;
/** Clears a run's retry columns: the streak is over (cancelled, resumed). */
const NO_RETRY = 'retry_cause = NULL, retry_system = NULL, retry_since = NULL, retry_until = NULL, next_attempt_at = NULL';

/**
 * The SET list of a lease holder's change to its run; its parameters are $3…$16 of `patchParams`.
 * A run parked (WAITING or RETRYING) while a cancel arrived is COMPENSATING instead.
 */
const CANCELLED_MEANWHILE = `$3::text IN ('WAITING', 'RETRYING') AND cancel_requested`;
const RUN_PATCH = `
  status = CASE WHEN ${CANCELLED_MEANWHILE} THEN 'COMPENSATING' ELSE COALESCE($3::text, status) END,
  phase = CASE WHEN ${CANCELLED_MEANWHILE} THEN 'compensating' ELSE COALESCE($4::text, phase) END,
  state = COALESCE($5::text::jsonb, state),
  error = CASE WHEN $6::boolean THEN $7::text ELSE error END,
  error_code = CASE WHEN $6::boolean THEN $8::text ELSE error_code END,
  next_check_at = CASE WHEN $9::float8 IS NULL THEN next_check_at ELSE now() + make_interval(secs => $9::float8 / 1000) END,
  lease_owner = CASE WHEN $10::boolean THEN NULL ELSE lease_owner END,
  lease_until = CASE WHEN $10::boolean THEN NULL ELSE lease_until END,
  retry_cause = CASE WHEN ${CANCELLED_MEANWHILE} THEN NULL WHEN $11::boolean THEN $12::text ELSE retry_cause END,
  retry_system = CASE WHEN ${CANCELLED_MEANWHILE} THEN NULL WHEN $11::boolean THEN $13::text ELSE retry_system END,
  retry_since = CASE WHEN ${CANCELLED_MEANWHILE} THEN NULL WHEN $11::boolean THEN $14::timestamptz ELSE retry_since END,
  retry_until = CASE WHEN ${CANCELLED_MEANWHILE} THEN NULL WHEN $11::boolean THEN $15::timestamptz ELSE retry_until END,
  next_attempt_at = CASE WHEN ${CANCELLED_MEANWHILE} THEN NULL WHEN $11::boolean THEN $16::timestamptz ELSE next_attempt_at END,
  updated_at = now()`;

function patchParams(id: string, owner: string, patch: FlowRunPatch, release: boolean): unknown[] {
  return [
    id,
    owner,
    patch.status ?? null,
    patch.phase ?? null,
    patch.state === undefined ? null : JSON.stringify(patch.state),
    patch.error !== undefined,
    patch.error ?? null,
    patch.errorCode ?? null,
    patch.checkAgainInMs ?? null,
    release,
    patch.retry !== undefined,
    patch.retry?.cause ?? null,
    patch.retry?.system ?? null,
    patch.retry?.since ?? null,
    patch.retry?.until ?? null,
    patch.retry?.nextAttemptAt ?? null,
  ];
}

/** The only code that reads or writes flow_runs, flow_steps and flow_waits. */
export class FlowRunRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Inserts the run, its ids and its PENDING steps unless a run with this key exists (false). A
   * unique id another run of the flow holds throws FlowRefTaken after the run row was written, so
   * the caller's transaction must roll back.
   */
  static async insert(tx: Queryable, run: NewFlowRun): Promise<boolean> {
    const inserted = await tx.query(
      `INSERT INTO flow_runs (id, flow, idempotency_key, request_hash, status, input, state, request_id, trace_parent)
       VALUES ($1, $2, $3, $4, 'RUNNING', $5::text::jsonb, $5::text::jsonb, $6, $7)
       ON CONFLICT DO NOTHING RETURNING id`,
      [run.id, run.flow, run.idempotencyKey, run.requestHash, JSON.stringify(run.input), run.requestId, run.traceParent],
    );
    if (inserted.rows.length === 0) return false;
    if (run.refs.length > 0) {
      const added = await tx.query<{ name: string }>(
        `INSERT INTO flow_run_refs (run_id, flow, name, value, is_unique) SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::boolean[])
         ON CONFLICT DO NOTHING RETURNING name`,
        [run.id, run.flow, run.refs.map((r) => r.name), run.refs.map((r) => r.value), run.refs.map((r) => r.unique)],
      );
      const taken = run.refs.find((ref) => !added.rows.some((row) => row.name === ref.name));
      if (taken) throw new FlowRefTaken(taken);
    }
    await tx.query(
      `INSERT INTO flow_steps (run_id, position, name, status)
       SELECT $1, p, n, 'PENDING' FROM unnest($2::text[]) WITH ORDINALITY AS s(n, p)`,
      [run.id, [...run.steps]],
    );
    return true;
  }

  /** The run of this flow started with this idempotency key. */
  async findByKey(flow: string, idempotencyKey: string): Promise<FlowRun | null> {
    const result = await this.db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM flow_runs WHERE flow = $1 AND idempotency_key = $2`, [flow, idempotencyKey]);
    return result.rows[0] ? toRun(result.rows[0]) : null;
  }

  /** The runs with these ids (malformed ids match nothing). */
  async findByIds(ids: readonly string[]): Promise<FlowRun[]> {
    const valid = ids.filter((id) => isUuid(id));
    if (valid.length === 0) return [];
    const result = await this.db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM flow_runs WHERE id = ANY($1::uuid[])`, [valid]);
    return result.rows.map(toRun);
  }

  /** The newest run of this flow found by each of these values of the id `name` (one each for a unique id). */
  async findByRef(flow: string, name: string, values: readonly string[]): Promise<FlowRun[]> {
    if (values.length === 0) return [];
    const result = await this.db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM flow_runs WHERE id IN (
         SELECT DISTINCT ON (f.value) f.run_id FROM flow_run_refs f JOIN flow_runs r ON r.id = f.run_id
         WHERE f.flow = $1 AND f.name = $2 AND f.value = ANY($3::text[]) ORDER BY f.value, r.started_at DESC)`,
      [flow, name, [...values]],
    );
    return result.rows.map(toRun);
  }

  /** Up to `limit` runs ordered by start, after the run `after`, optionally of one status and found by one ref (e.g. a customer). */
  async page(options: { status?: FlowRunStatus | null; ref?: FlowRefFilter | null; after?: { startedAt: string; id: string }; limit: number }): Promise<FlowRun[]> {
    const result = await this.db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM flow_runs
       WHERE ($1::text IS NULL OR status = $1) AND ${REF_FILTER(5)}
         AND ($2::timestamptz IS NULL OR (started_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY started_at, id LIMIT $4`,
      [options.status ?? null, options.after?.startedAt ?? null, options.after?.id ?? null, options.limit, options.ref?.name ?? null, options.ref?.value ?? null],
    );
    return result.rows.map(toRun);
  }

  /** How many runs there are, optionally of one status and found by one ref. */
  async count(status?: FlowRunStatus | null, ref?: FlowRefFilter | null): Promise<number> {
    const result = await this.db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM flow_runs WHERE ($1::text IS NULL OR status = $1) AND ${REF_FILTER(2)}`, [
      status ?? null,
      ref?.name ?? null,
      ref?.value ?? null,
    ]);
    return Number(result.rows[0].n);
  }

  /** How many runs there are per status (for the flows-by-status gauge). */
  async countByStatus(): Promise<{ status: FlowRunStatus; n: number }[]> {
    const result = await this.db.query<{ status: FlowRunStatus; n: number }>('SELECT status, count(*)::int8 AS n FROM flow_runs GROUP BY status');
    return result.rows.map((r) => ({ status: r.status, n: Number(r.n) }));
  }

  /** The steps of these runs, in flow order. */
  async stepsOf(runIds: readonly string[]): Promise<FlowStepRow[]> {
    if (runIds.length === 0) return [];
    const result = await this.db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM flow_steps WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, position`, [[...runIds]]);
    return result.rows.map(toStep);
  }

  /**
   * Takes the run's lease when it is free (or expired) and the run is not finished, and returns
   * the run with its steps (one round trip); null when another worker holds it. Only the holder
   * advances the run, so what it read of the steps stays true while it holds the lease.
   */
  async acquireLease(id: string, owner: string, leaseMs: number): Promise<{ run: FlowRun; steps: FlowStepRow[] } | null> {
    const result = await this.db.query<RunRow & { steps: StepRow[] }>(
      `WITH run AS (
         UPDATE flow_runs SET lease_owner = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000), next_check_at = now() + make_interval(secs => $3::float8 / 1000)
         WHERE id = $1 AND status IN (${UNFINISHED_SQL}) AND (lease_until IS NULL OR lease_until < now())
         RETURNING ${RUN_COLUMNS})
       SELECT run.*, (SELECT json_agg(s ORDER BY s.position) FROM (SELECT ${STEP_COLUMNS} FROM flow_steps WHERE run_id = $1) s) AS steps FROM run`,
      [id, owner, leaseMs],
    );
    const row = result.rows[0];
    return row ? { run: toRun(row), steps: (row.steps ?? []).map(toStep) } : null;
  }

  /**
   * Starts a forward step in one statement: renews the lease, turns the run RUNNING and the step
   * RUNNING with one more attempt (a RETRYING run and step stay RETRYING, with the last failure,
   * until the attempt succeeds, so readers do not see them flicker). Nothing changes when the lease
   * was lost (`lost`) or a cancel arrived (`cancelled`); otherwise returns the step's attempts.
   */
  async beginStep(id: string, owner: string, position: number, leaseMs: number): Promise<{ attempts: number } | 'lost' | 'cancelled'> {
    const result = await this.db.query<{ cancelled: boolean | null; attempts: number | null }>(
      `WITH run AS (
         UPDATE flow_runs SET lease_until = now() + make_interval(secs => $4::float8 / 1000), next_check_at = now() + make_interval(secs => $4::float8 / 1000),
           status = CASE WHEN cancel_requested OR status = 'RETRYING' THEN status ELSE 'RUNNING' END,
           updated_at = CASE WHEN cancel_requested OR status IN ('RUNNING', 'RETRYING') THEN updated_at ELSE now() END
         WHERE id = $1 AND lease_owner = $2 RETURNING cancel_requested),
       step AS (
         UPDATE flow_steps SET ${STEP_ATTEMPT}
         WHERE run_id = $1 AND position = $3 AND EXISTS (SELECT 1 FROM run WHERE NOT cancel_requested) RETURNING attempts)
       SELECT (SELECT cancel_requested FROM run) AS cancelled, (SELECT attempts FROM step) AS attempts`,
      [id, owner, position, leaseMs],
    );
    const row = result.rows[0];
    if (row.cancelled === null) return 'lost';
    if (row.cancelled) return 'cancelled';
    return { attempts: Number(row.attempts) };
  }

  /**
   * Records how a step ended (DONE, SKIPPED or WAITING), what the run now waits on, the ids it is
   * now found by, and the run's change, in one statement, so a reader sees them together. Returns the
   * run status written (a WAITING run with a cancel meanwhile becomes COMPENSATING); null when the
   * lease was lost and nothing was written.
   */
  async finishStep(
    id: string,
    owner: string,
    position: number,
    step: { status: 'DONE' | 'SKIPPED' | 'WAITING'; compensation?: unknown; error?: string | null },
    waits: readonly WaitTarget[],
    patch: FlowRunPatch & { refs?: readonly FlowRunRef[] },
    { release }: LeaseRelease,
  ): Promise<FlowRunStatus | null> {
    const refs = patch.refs ?? [];
    const result = await this.db.query<{ status: FlowRunStatus }>(
      `WITH run AS (UPDATE flow_runs SET ${RUN_PATCH} WHERE id = $1 AND lease_owner = $2 RETURNING status, flow),
       step AS (
         UPDATE flow_steps SET status = $17, error = $27,
           compensation = CASE WHEN $18::boolean THEN $19::text::jsonb ELSE compensation END,
           finished_at = CASE WHEN $17 = 'WAITING' THEN NULL ELSE now() END
         WHERE run_id = $1 AND position = $20 AND EXISTS (SELECT 1 FROM run)),
       gone AS (
         DELETE FROM flow_waits WHERE run_id = $1 AND EXISTS (SELECT 1 FROM run)
           AND (entity, entity_id) NOT IN (SELECT * FROM unnest($21::text[], $22::text[]))),
       added AS (
         INSERT INTO flow_waits (entity, entity_id, run_id, seen_version)
         SELECT e, i, $1, v FROM unnest($21::text[], $22::text[], $23::int[]) AS t(e, i, v) WHERE EXISTS (SELECT 1 FROM run)
         ON CONFLICT (entity, entity_id, run_id) DO UPDATE SET seen_version = EXCLUDED.seen_version),
       found_by AS (
         INSERT INTO flow_run_refs (run_id, flow, name, value, is_unique)
         SELECT $1, run.flow, n, v, u FROM run, unnest($24::text[], $25::text[], $26::boolean[]) AS t(n, v, u)
         ON CONFLICT (run_id, name) DO UPDATE SET value = EXCLUDED.value)
       SELECT status FROM run`,
      [
        ...patchParams(id, owner, patch, release),
        step.status,
        step.compensation !== undefined,
        step.compensation === undefined ? null : JSON.stringify(step.compensation),
        position,
        waits.map((w) => w.entity),
        waits.map((w) => w.entityId),
        waits.map((w) => w.seenVersion ?? null),
        refs.map((r) => r.name),
        refs.map((r) => r.value),
        refs.map((r) => r.unique),
        step.error ?? null,
      ],
    );
    return result.rows[0]?.status ?? null;
  }

  /** Extends the lease before a step; false when it was lost (expired and taken by another worker). */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<FlowRun | null> {
    const result = await this.db.query<RunRow>(
      `UPDATE flow_runs SET lease_until = now() + make_interval(secs => $3::float8 / 1000), next_check_at = now() + make_interval(secs => $3::float8 / 1000)
       WHERE id = $1 AND lease_owner = $2 RETURNING ${RUN_COLUMNS}`,
      [id, owner, leaseMs],
    );
    return result.rows[0] ? toRun(result.rows[0]) : null;
  }

  /**
   * Changes the holder's run and gives the lease back when `release`. A WAITING status turns into
   * COMPENSATING when a cancel arrived meanwhile; the status actually written is returned.
   */
  async update(id: string, owner: string, patch: FlowRunPatch, { release }: LeaseRelease): Promise<FlowRunStatus | null> {
    const result = await this.db.query<{ status: FlowRunStatus }>(`UPDATE flow_runs SET ${RUN_PATCH} WHERE id = $1 AND lease_owner = $2 RETURNING status`, patchParams(id, owner, patch, release));
    return result.rows[0]?.status ?? null;
  }

  /** Marks a step as started once more (a RETRYING one stays RETRYING until it succeeds). */
  async startStep(runId: string, position: number): Promise<number> {
    const result = await this.db.query<{ attempts: number }>(
      `UPDATE flow_steps SET ${STEP_ATTEMPT}
       WHERE run_id = $1 AND position = $2 RETURNING attempts`,
      [runId, position],
    );
    return Number(result.rows[0]?.attempts ?? 0);
  }

  /** Records how a step ended (or that it waits, or failed an attempt with `error`). */
  async setStep(runId: string, position: number, status: FlowStepStatus, fields: { error?: string | null; compensation?: unknown; finished?: boolean; resetAttempts?: boolean } = {}): Promise<void> {
    await this.db.query(
      `UPDATE flow_steps SET status = $3,
         error = $4::text,
         compensation = CASE WHEN $5::boolean THEN $6::text::jsonb ELSE compensation END,
         finished_at = CASE WHEN $7::boolean THEN now() WHEN $3 IN ('PENDING', 'RUNNING', 'WAITING') THEN NULL ELSE finished_at END,
         attempts = CASE WHEN $8::boolean THEN 0 ELSE attempts END
       WHERE run_id = $1 AND position = $2`,
      [
        runId,
        position,
        status,
        fields.error ?? null,
        fields.compensation !== undefined,
        fields.compensation === undefined ? null : JSON.stringify(fields.compensation),
        fields.finished ?? false,
        fields.resetAttempts ?? false,
      ],
    );
  }

  /** Replaces what the run waits on. */
  async setWaits(runId: string, targets: readonly WaitTarget[]): Promise<void> {
    await this.db.query('DELETE FROM flow_waits WHERE run_id = $1', [runId]);
    if (targets.length === 0) return;
    await this.db.query(
      `INSERT INTO flow_waits (entity, entity_id, run_id, seen_version) SELECT e, i, $3, v FROM unnest($1::text[], $2::text[], $4::int[]) AS t(e, i, v) ON CONFLICT DO NOTHING`,
      [targets.map((t) => t.entity), targets.map((t) => t.entityId), runId, targets.map((t) => t.seenVersion ?? null)],
    );
  }

  /** The WAITING runs waiting on any of these records and not yet aware of the version changed to, each once. */
  async waitingOn(changes: readonly ChangedRecord[]): Promise<string[]> {
    if (changes.length === 0) return [];
    const result = await this.db.query<{ run_id: string }>(
      `SELECT DISTINCT w.run_id
       FROM unnest($1::text[], $2::text[], $3::int[]) AS c(entity, entity_id, version)
       JOIN flow_waits w ON w.entity = c.entity AND w.entity_id = c.entity_id
       JOIN flow_runs r ON r.id = w.run_id
       WHERE r.status = 'WAITING' AND (w.seen_version IS NULL OR c.version > w.seen_version)`,
      [changes.map((c) => c.entity), changes.map((c) => c.entityId), changes.map((c) => c.version)],
    );
    return result.rows.map((r) => r.run_id);
  }

  /**
   * Claims the runs retrying on `system` (and those whose failures named no system) whose next
   * attempt is still to come and that nobody holds, so they are tried now rather than after their
   * backoff: the backend answers again. Their next attempt becomes now, so replicas waking together
   * take each run once; like `claimDue`, their next check is pushed out.
   */
  async claimRetrying(system: string, checkAgainInMs: number): Promise<string[]> {
    const result = await this.db.query<{ id: string }>(
      `UPDATE flow_runs SET next_check_at = now() + make_interval(secs => $2::float8 / 1000), next_attempt_at = now()
       WHERE id IN (
         SELECT id FROM flow_runs
         WHERE retry_cause IS NOT NULL AND (retry_system = $1 OR retry_system IS NULL) AND next_attempt_at > now()
           AND status IN (${UNFINISHED_SQL}) AND (lease_until IS NULL OR lease_until < now())
         FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [system, checkAgainInMs],
    );
    return result.rows.map((r) => r.id);
  }

  /** The backends runs are retrying on now (null: failures that named none). */
  async retryingSystems(): Promise<(string | null)[]> {
    const result = await this.db.query<{ retry_system: string | null }>(`SELECT DISTINCT retry_system FROM flow_runs WHERE retry_cause IS NOT NULL AND status IN (${UNFINISHED_SQL})`);
    return result.rows.map((r) => r.retry_system);
  }

  /**
   * How many runs wait, by status and cause: a WAITING run's cause is the step that waits (on
   * production, a shipment, a payment), a retrying run's the error code it retries.
   */
  async countWaitingByCause(): Promise<{ status: FlowRunStatus; cause: string; n: number }[]> {
    const result = await this.db.query<{ status: FlowRunStatus; cause: string | null; n: number }>(
      `SELECT r.status, COALESCE(r.retry_cause, s.name) AS cause, count(*)::int8 AS n
       FROM flow_runs r LEFT JOIN flow_steps s ON r.status = 'WAITING' AND s.run_id = r.id AND s.status = 'WAITING'
       WHERE r.status = 'WAITING' OR (r.retry_cause IS NOT NULL AND r.status IN (${UNFINISHED_SQL}))
       GROUP BY 1, 2`,
    );
    return result.rows.map((r) => ({ status: r.status, cause: r.cause ?? 'unknown', n: Number(r.n) }));
  }

  /**
   * Claims up to `limit` unfinished runs nobody advanced for a while (lease free, check time
   * passed) and pushes their next check out, so replicas polling together claim each run once.
   */
  async claimDue(limit: number, checkAgainInMs: number): Promise<string[]> {
    const result = await this.db.query<{ id: string }>(
      `UPDATE flow_runs SET next_check_at = now() + make_interval(secs => $2::float8 / 1000)
       WHERE id IN (
         SELECT id FROM flow_runs
         WHERE status IN (${UNFINISHED_SQL}) AND next_check_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [limit, checkAgainInMs],
    );
    return result.rows.map((r) => r.id);
  }

  /**
   * Asks for the run to be undone: sets the cancel flag, and the status COMPENSATING at once when
   * no worker holds the run (a holder sees the flag before its next step). Returns the run after.
   */
  static async requestCancel(tx: Queryable, id: string, reason: string | null): Promise<void> {
    await tx.query(
      `UPDATE flow_runs SET cancel_requested = true, cancel_reason = $2,
         status = CASE WHEN lease_until IS NULL OR lease_until < now() THEN 'COMPENSATING' ELSE status END,
         phase = 'compensating', next_check_at = now(), updated_at = now(),
         ${NO_RETRY}
       WHERE id = $1`,
      [id, reason],
    );
  }

  /** Puts a FAILED run back to work from its failed step; false when it is not FAILED. */
  static async resume(tx: Queryable, id: string): Promise<boolean> {
    const result = await tx.query(
      `UPDATE flow_runs SET status = CASE WHEN phase = 'compensating' THEN 'COMPENSATING' ELSE 'RUNNING' END,
         error = NULL, error_code = NULL, next_check_at = now(), updated_at = now(), ${NO_RETRY}
       WHERE id = $1 AND status = 'FAILED' RETURNING id`,
      [id],
    );
    if (result.rows.length === 0) return false;
    await tx.query(`UPDATE flow_steps SET status = 'PENDING', attempts = 0, error = NULL, finished_at = NULL WHERE run_id = $1 AND status = 'FAILED'`, [id]);
    return true;
  }
}

interface RunRow {
  id: string;
  flow: string;
  idempotency_key: string;
  request_hash: string;
  status: FlowRunStatus;
  phase: 'forward' | 'compensating';
  refs: Record<string, string> | null;
  input: Record<string, unknown>;
  state: Record<string, unknown>;
  error: string | null;
  error_code: string | null;
  cancel_requested: boolean;
  request_id: string | null;
  trace_parent: string | null;
  started_at: Date | string;
  updated_at: Date | string;
  retry_cause: string | null;
  retry_system: string | null;
  retry_since: Date | string | null;
  retry_until: Date | string | null;
  next_attempt_at: Date | string | null;
}

interface StepRow {
  run_id: string;
  position: number;
  name: string;
  status: FlowStepStatus;
  attempts: number;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  error: string | null;
  compensation: unknown;
}


function toRun(row: RunRow): FlowRun {
  return {
    id: row.id,
    flow: row.flow,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    status: row.status,
    phase: row.phase,
    refs: row.refs ?? {},
    input: row.input,
    state: row.state,
    error: row.error,
    errorCode: row.error_code,
    cancelRequested: row.cancel_requested,
    retry:
      row.retry_cause === null || row.retry_since === null || row.retry_until === null
        ? null
        : { cause: row.retry_cause, system: row.retry_system, since: iso(row.retry_since), until: iso(row.retry_until), nextAttemptAt: iso(row.next_attempt_at ?? row.retry_until) },
    requestId: row.request_id,
    traceParent: row.trace_parent,
    startedAt: iso(row.started_at),
    updatedAt: iso(row.updated_at),
  };
}

function toStep(row: StepRow): FlowStepRow {
  return {
    runId: row.run_id,
    position: Number(row.position),
    name: row.name,
    status: row.status,
    attempts: Number(row.attempts),
    startedAt: row.started_at === null ? null : iso(row.started_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    error: row.error,
    compensation: row.compensation,
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
