import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { Database, Queryable } from '../../../../platform/db';
import { currentTraceParent, tracedFrom } from '../../../../platform/tracing';
import { failureText } from './failure-text';
import type { Logger } from '../../../../platform/logger';
import type { ServiceMetrics } from '../../../../platform/metrics';
import { createFlowMetrics, type FlowMetrics } from './flow-metrics';
import { type RetryDecision, type RetryPolicy, type RetryStreak, backoffMs, changedRefs, decideFailure, decideUndoFailure, isRetryable, nextStep, refsOf, waitRecheckMs } from './flow-decisions';
import { type FlowRun, type FlowRunRetry, FlowRefTaken, FlowRunRepository, type FlowStepRow, type NewFlowRun, UNFINISHED_STATUSES } from './flow-run.repository';
import type { ChangedRecord, FlowDefinition, FlowStep, StepContext, WaitTarget } from './flow-step';
import { jobExecutor } from './job-queue';

/** How a flow engine runs: retries, leases, the catch-up poll and its workers. */
export interface FlowEngineOptions {
  db: Database;
  boss: PgBoss;
  logger: Logger;
  metrics: ServiceMetrics;
  /** How transient failures are retried: backoff, its cap, and the window after which the run is FAILED. */
  retry: Omit<RetryPolicy, 'random'>;
  /**
   * A cheap check per backend ("erp", "crm") that resolves when it answers. While runs retry on a
   * backend the engine runs its check every `probeMs`; once it sees the backend come back it wakes
   * them at once instead of leaving them to sleep out their backoff.
   */
  probes?: Readonly<Record<string, () => Promise<unknown>>>;
  /** How often a backend that runs retry on is checked; default 2000. */
  probeMs?: number;
  /** How long a worker owns a run it advances; a crashed worker's runs are free again after it. */
  leaseMs: number;
  /** How often the catch-up poll re-checks waiting runs and picks up abandoned ones. */
  pollMs: number;
  /**
   * The longest a waiting run goes without being looked at again (it is looked at after a quarter
   * of the time it has waited, at least `pollMs`: `waitRecheckMs`); default 300000.
   */
  waitRecheckMaxMs?: number;
  /** Workers polling the job queue in this process. */
  workers: number;
}

/** The longest a waiting run goes unchecked when no event wakes it (FlowEngineOptions.waitRecheckMaxMs). */
const DEFAULT_WAIT_RECHECK_MAX_MS = 300_000;

/** How long a change event is remembered for steps that were deciding to wait when it came. */
const RECENT_CHANGE_MS = 10_000;

/** Jobs a worker takes per fetch; also how many direct advances per worker this process runs at once. */
const JOBS_PER_FETCH = 4;

/** A run that has just been asked to start, and whether this call created it. */
export interface StartedRun {
  run: FlowRun;
  created: boolean;
}

/**
 * Runs a flow definition durably. Runs and their steps are rows; pg-boss jobs only say "advance
 * run X". A worker takes the run's lease, executes steps until one waits, fails or the flow ends,
 * and writes every step's outcome as it goes, so a crash at any moment resumes at the step that
 * was running (its writes carry idempotency keys, so re-running it has no second effect).
 */
export class FlowEngine<State extends object, Deps> {
  readonly queue: string;
  private readonly repo: FlowRunRepository;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly flowMetrics: FlowMetrics;
  private workerIds: string[] = [];
  private nextWorker = 0;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private directAdvances = 0;
  private readonly recentChanges = new Map<string, { version: number; at: number }>();
  /** Backends runs retry on (as far as this process knows) that the probe checks; null: failures that named none. */
  private readonly retryingOn = new Set<string | null>();
  /** Backends whose last check did not answer: the next answer is their return. */
  private readonly unanswered = new Set<string>();
  private probeTimer?: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly definition: FlowDefinition<State, Deps>,
    private readonly deps: Deps,
    private readonly options: FlowEngineOptions,
  ) {
    this.queue = `flow-${definition.name}`;
    this.repo = new FlowRunRepository(options.db);
    this.flowMetrics = createFlowMetrics(options.metrics, definition.name, {
      byStatus: () => this.repo.countByStatus(),
      waitingByCause: () => this.repo.countWaitingByCause(),
    });
  }

  /** The step names, in order. */
  get stepNames(): string[] {
    return this.definition.steps.map((s) => s.id);
  }

  /** Starts the workers and the catch-up poll. */
  async start(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) {
      const id = await this.options.boss.work<{ runId: string }>(this.queue, { batchSize: JOBS_PER_FETCH, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        await Promise.all(jobs.map((job) => this.track(this.advance(job.data.runId))));
      });
      this.workerIds.push(id);
    }
    this.pollTimer = setInterval(() => void this.track(this.poll()), this.options.pollMs);
    this.pollTimer.unref();
    // Runs left retrying by an earlier process are probed for too.
    for (const system of await this.repo.retryingSystems()) this.retryingOn.add(system);
    this.probeTimer = setInterval(() => void this.track(this.probe()), this.options.probeMs ?? 2000);
    this.probeTimer.unref();
  }

  /** Stops polling and the workers, and waits for the runs being advanced here. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    await Promise.all(this.workerIds.map((id) => this.options.boss.offWork({ id }).catch(() => undefined)));
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Creates the run (its state starts as its input), its PENDING steps and its first job in one
   * transaction, unless a run with the same key exists already; either way returns the run of that
   * key (null: a unique id the flow declares, e.g. the opportunity, is another run's).
   */
  async startRun(run: Omit<NewFlowRun, 'id' | 'flow' | 'steps' | 'refs' | 'input' | 'traceParent'> & { input: State }): Promise<StartedRun | null> {
    const id = randomUUID();
    const refs = refsOf(this.definition.refs, run.input);
    let created: boolean;
    try {
      created = await this.options.db.transaction(async (tx) => {
        const inserted = await FlowRunRepository.insert(tx, { ...run, id, flow: this.definition.name, steps: this.stepNames, refs, traceParent: currentTraceParent() });
        if (inserted) await this.options.boss.send(this.queue, { runId: id }, { db: jobExecutor(tx) });
        return inserted;
      });
    } catch (error) {
      if (!(error instanceof FlowRefTaken)) throw error;
      created = false;
    }
    if (created) {
      this.flowMetrics.started.inc({ flow: this.definition.name });
      this.notify();
    }
    const stored = await this.repo.findByKey(this.definition.name, run.idempotencyKey);
    return stored ? { run: stored, created } : null;
  }

  /** Asks for a run to be undone (cancel); the compensation runs in a worker. */
  async cancel(runId: string, reason: string | null): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      await FlowRunRepository.requestCancel(tx, runId, reason);
      await this.options.boss.send(this.queue, { runId }, { db: jobExecutor(tx) });
    });
    this.notify();
  }

  /** Resumes a FAILED run from its failed step; false when the run is not FAILED. */
  async resume(runId: string): Promise<boolean> {
    const resumed = await this.options.db.transaction(async (tx) => {
      if (!(await FlowRunRepository.resume(tx, runId))) return false;
      await this.options.boss.send(this.queue, { runId }, { db: jobExecutor(tx) });
      return true;
    });
    if (resumed) this.notify();
    return resumed;
  }

  /**
   * Wakes the WAITING runs that wait on any of these ERP records (called for change events) and
   * returns how many. They are advanced right here while this process has room, which saves the
   * job round trips; a wake-up needs no durability of its own, since a run not advanced (full, or
   * the process died) is still found by the catch-up poll.
   */
  async wake(changes: readonly ChangedRecord[]): Promise<number> {
    this.rememberChanges(changes);
    const runIds = await this.repo.waitingOn(changes);
    await this.advanceSoon(runIds);
    return runIds.length;
  }

  /**
   * Keeps the last few seconds of change events: one that arrives while a step is still deciding to
   * wait finds no waiting run yet, so the step looks here once its wait is written.
   */
  private rememberChanges(changes: readonly ChangedRecord[]): void {
    const now = Date.now();
    for (const change of changes) {
      const key = `${change.entity}:${change.entityId}`;
      const known = this.recentChanges.get(key);
      if (!known || known.version < change.version) this.recentChanges.set(key, { version: change.version, at: now });
    }
    if (this.recentChanges.size > 10_000) {
      for (const [key, change] of this.recentChanges) if (now - change.at > RECENT_CHANGE_MS) this.recentChanges.delete(key);
    }
  }

  /** True when a change newer than what the step saw arrived while it ran. */
  private changedMeanwhile(targets: readonly WaitTarget[]): boolean {
    const now = Date.now();
    return targets.some((target) => {
      const change = this.recentChanges.get(`${target.entity}:${target.entityId}`);
      return change !== undefined && now - change.at <= RECENT_CHANGE_MS && (target.seenVersion === undefined || change.version > target.seenVersion);
    });
  }

  /** Advances these runs in this process, up to its capacity; the rest go to the job queue. */
  private async advanceSoon(runIds: readonly string[]): Promise<void> {
    const queued: string[] = [];
    for (const runId of runIds) {
      if (this.stopped || this.directAdvances >= this.options.workers * JOBS_PER_FETCH) {
        queued.push(runId);
        continue;
      }
      this.directAdvances++;
      void this.track(this.advance(runId))
        .catch((error: unknown) => this.options.logger.warn({ err: error, flowId: runId }, 'flow advance failed; the catch-up poll retries it'))
        .finally(() => this.directAdvances--);
    }
    await this.enqueueAll(queued);
  }

  /**
   * Checks each backend runs are retrying on. One seen coming back (a check failed, a later one
   * answers) has its runs tried now; returns how many were woken. One that answers all along is
   * reachable and failing for another reason (e.g. refusing writes while overloaded): its runs keep
   * their backoff rather than being woken at every check. Runs whose failures named no backend are
   * woken by any backend's return.
   */
  async probe(): Promise<number> {
    if (this.probing || this.stopped || this.retryingOn.size === 0) return 0;
    this.probing = true;
    try {
      const probes = this.options.probes ?? {};
      const systems = this.retryingOn.has(null) ? Object.keys(probes) : [...this.retryingOn].filter((s): s is string => s !== null && s in probes);
      const answered = await Promise.all(systems.map((system) => probes[system]().then(() => true, () => false)));
      let woken = 0;
      for (const [i, system] of systems.entries()) {
        if (!answered[i]) {
          this.unanswered.add(system);
          continue;
        }
        this.retryingOn.delete(system);
        this.retryingOn.delete(null);
        if (!this.unanswered.delete(system) || this.stopped) continue;
        const runIds = await this.repo.claimRetrying(system, this.options.leaseMs);
        if (runIds.length > 0) this.options.logger.info({ system, runs: runIds.length }, 'backend answers again; retrying its flows now');
        await this.advanceSoon(runIds);
        woken += runIds.length;
      }
      return woken;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'flow retry probe failed');
      return 0;
    } finally {
      this.probing = false;
    }
  }

  /**
   * The catch-up poll: runs that nobody advanced for a while (a waiting run whose webhook was
   * lost, a run whose worker crashed and whose lease expired) get a job. Returns how many.
   */
  async poll(): Promise<number> {
    if (this.polling || this.stopped) return 0;
    this.polling = true;
    try {
      const due = await this.repo.claimDue(500, this.options.pollMs);
      await this.advanceSoon(due);
      return due.length;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'flow catch-up poll failed');
      return 0;
    } finally {
      this.polling = false;
    }
  }

  /** Sends an "advance" job for the run, optionally later. */
  async enqueue(runId: string, options: { delayMs?: number; tx?: Queryable } = {}): Promise<void> {
    await this.options.boss.send(this.queue, { runId }, {
      ...(options.delayMs ? { startAfter: new Date(Date.now() + options.delayMs) } : {}),
      ...(options.tx ? { db: jobExecutor(options.tx) } : {}),
    });
    if (!options.delayMs && !options.tx) this.notify();
  }

  /** Sends an "advance" job for each of these runs now, in one insert. */
  private async enqueueAll(runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.options.boss.insert(runIds.map((runId) => ({ name: this.queue, data: { runId } })));
    for (let i = 0; i < Math.min(runIds.length, this.workerIds.length); i++) this.notify();
  }

  /** Reads runs and their steps (for the API). */
  get runs(): FlowRunRepository {
    return this.repo;
  }

  /**
   * Advances one run as far as it goes now: takes its lease (or leaves it to the holder), runs
   * steps in order, parks it WAITING, schedules a retry, fails it or compensates it.
   */
  async advance(runId: string): Promise<void> {
    const leased = await this.repo.acquireLease(runId, this.owner, this.options.leaseMs);
    if (!leased) {
      const [current] = await this.repo.findByIds([runId]);
      // Another worker holds it: look again shortly, so a wake-up during its step is not lost.
      if (current && UNFINISHED_STATUSES.includes(current.status)) await this.enqueue(runId, { delayMs: 1000 });
      return;
    }
    let run = leased.run;
    // While the lease is held nobody else changes these rows, so they are read once and kept up to date here.
    const steps = leased.steps;
    const logger = this.options.logger.child({ flowId: run.id, requestId: run.requestId, flow: this.definition.name });
    try {
      while (!this.stopped) {
        if (run.cancelRequested && run.phase === 'forward') {
          await this.repo.update(run.id, this.owner, { status: 'COMPENSATING', phase: 'compensating', retry: null }, { release: false });
          run = { ...run, status: 'COMPENSATING', phase: 'compensating', retry: null };
        }
        if (run.phase === 'compensating') {
          await this.compensate(run, logger);
          return;
        }
        const row = nextStep(steps);
        if (!row) {
          await this.repo.update(run.id, this.owner, { status: 'COMPLETED', error: null, retry: null }, { release: true });
          this.flowMetrics.finished.inc({ flow: this.definition.name, status: 'COMPLETED' });
          logger.info('flow completed');
          return;
        }
        const next = await this.runStep(run, row, logger);
        if (next === 'stop') return;
        if (next === 'cancelled') run = { ...run, cancelRequested: true };
      }
    } catch (error) {
      // The engine's own bookkeeping failed (e.g. the database is going away): the lease runs out
      // and the catch-up poll picks the run up again.
      logger.error({ err: error }, 'flow advance interrupted');
    }
  }

  /** Runs one step and records its outcome; `row` is updated to what was written. */
  private async runStep(run: FlowRun, row: FlowStepRow, logger: Logger): Promise<'continue' | 'stop' | 'cancelled'> {
    const step = this.definition.steps[row.position - 1];
    const state = run.state as State;
    // A step already WAITING is only looked at again: the run keeps its status and the step its
    // attempts until the check finds the world moved on, so readers never see a parked run flicker.
    const recheck = row.status === 'WAITING';
    let attempts = row.attempts;
    if (!recheck) {
      const begun = await this.repo.beginStep(run.id, this.owner, row.position, this.options.leaseMs);
      if (begun === 'lost') return 'stop';
      if (begun === 'cancelled') return 'cancelled';
      attempts = begun.attempts;
      if (run.status !== 'RETRYING') run.status = 'RUNNING';
    }
    const stepLogger = logger.child({ step: step.id, attempt: attempts });
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let outcome;
    try {
      // A step's work joins the trace of the request that started the run; a wait's repeated looks
      // start their own traces, linked to it, so one order's trace does not grow with every poll.
      outcome = await tracedFrom(run.traceParent, recheck ? 'link' : 'child', `flow step ${step.id}`, { 'flow.name': this.definition.name, 'flow.run_id': run.id, 'flow.step': step.id, 'flow.step.attempt': attempts }, () =>
        step.invoke(state, this.deps, this.context(run, step, stepLogger, false)),
      );
    } catch (error) {
      this.flowMetrics.stepDuration.observe({ flow: this.definition.name, step: step.id, outcome: 'error' }, seconds());
      if (recheck && isRetryable(error, this.definition.failures)) {
        // Looking at the outside world failed, not the flow: keep waiting and look again later.
        stepLogger.warn({ err: error }, 'flow wait check failed; checking again later');
        await this.repo.update(run.id, this.owner, { status: 'WAITING', checkAgainInMs: backoffMs(1, this.options.pollMs) }, { release: true });
        return 'stop';
      }
      return this.stepFailed(run, row, step, Math.max(attempts, 1), error, stepLogger);
    }
    this.flowMetrics.stepDuration.observe({ flow: this.definition.name, step: step.id, outcome: outcome.kind }, seconds());
    const nextState: State = outcome.kind === 'waiting' ? state : { ...state, ...(outcome.output ?? {}) };
    const refs = changedRefs(this.definition.refs, run.refs, nextState);
    if (outcome.kind === 'waiting') {
      const status = await this.repo.finishStep(
        run.id,
        this.owner,
        row.position,
        { status: 'WAITING', error: outcome.reason ?? null },
        outcome.on,
        { status: 'WAITING', state: nextState, refs, checkAgainInMs: outcome.checkAgainInMs ?? this.recheckDelayMs(recheck ? row : null), retry: null },
        { release: true },
      );
      if (!recheck) stepLogger.info({ waitingOn: outcome.on }, 'flow waiting');
      // A cancel that arrived during the step turned WAITING into COMPENSATING: undo now. A change
      // that arrived during the step woke nobody: look again now rather than at the next poll.
      if (status === 'COMPENSATING' || (status === 'WAITING' && this.changedMeanwhile(outcome.on))) await this.advanceSoon([run.id]);
      return 'stop';
    }
    const finished = await this.repo.finishStep(
      run.id,
      this.owner,
      row.position,
      { status: outcome.kind === 'done' ? 'DONE' : 'SKIPPED', ...(outcome.kind === 'done' && outcome.compensation !== undefined ? { compensation: outcome.compensation } : {}) },
      [],
      { status: 'RUNNING', state: nextState, refs, retry: null },
      { release: false },
    );
    if (finished === null) return 'stop';
    row.status = outcome.kind === 'done' ? 'DONE' : 'SKIPPED';
    run.status = 'RUNNING';
    run.retry = null;
    stepLogger.info({ outcome: outcome.kind, durationMs: Math.round(seconds() * 1000) }, 'flow step finished');
    run.state = nextState as Record<string, unknown>;
    if (refs.length > 0) run.refs = { ...run.refs, ...Object.fromEntries(refs.map((r) => [r.name, r.value])) };
    return 'continue';
  }

  private async stepFailed(run: FlowRun, row: FlowStepRow, step: FlowStep<State, unknown, Deps>, attempts: number, error: unknown, logger: Logger): Promise<'stop'> {
    const now = Date.now();
    const decision = decideFailure({ stepId: step.id, error, attempts, streak: streakOf(run), now }, this.definition.failures, this.options.retry);
    if (decision.kind === 'retry') {
      const message = failureText(error);
      this.flowMetrics.retries.inc({ flow: this.definition.name, step: step.id });
      logger.warn({ err: error, delayMs: decision.delayMs, retryUntil: new Date(decision.streak.until).toISOString() }, 'flow step failed; retrying');
      await this.repo.setStep(run.id, row.position, 'RETRYING', { error: `attempt ${attempts} failed: ${message}` });
      const status = await this.repo.update(run.id, this.owner, { status: 'RETRYING', retry: retryOf(decision, now), checkAgainInMs: decision.delayMs + this.options.leaseMs }, { release: true });
      await this.scheduleRetry(run.id, decision, status);
      return 'stop';
    }
    await this.repo.setStep(run.id, row.position, 'FAILED', { error: failureText(error), finished: true });
    if (decision.kind === 'compensate') {
      logger.info({ code: decision.code }, 'flow cannot succeed; compensating');
      await this.repo.update(run.id, this.owner, { status: 'COMPENSATING', phase: 'compensating', error: decision.error, errorCode: decision.code, retry: null }, { release: false });
      await this.compensate({ ...run, status: 'COMPENSATING', phase: 'compensating', retry: null }, logger);
      return 'stop';
    }
    logger.error({ err: error, code: decision.code }, 'flow failed');
    await this.repo.update(run.id, this.owner, { status: 'FAILED', error: decision.error, errorCode: decision.code, retry: null }, { release: true });
    this.flowMetrics.finished.inc({ flow: this.definition.name, status: 'FAILED' });
    return 'stop';
  }

  /**
   * After a retry was recorded: the delayed job that tries again, and the backend it waits for on
   * the probe's list. A cancel that came meanwhile turned the run COMPENSATING: undo now instead.
   */
  private async scheduleRetry(runId: string, decision: RetryDecision, status: string | null): Promise<void> {
    if (status === 'COMPENSATING') {
      await this.advanceSoon([runId]);
      return;
    }
    await this.enqueue(runId, { delayMs: decision.delayMs });
    this.retryingOn.add(decision.system);
  }

  /**
   * Undoes, in reverse order, every step that left something to undo and is not undone yet;
   * ends COMPENSATED, or retries/FAILED like a forward step when an undo cannot be done now.
   */
  private async compensate(run: FlowRun, logger: Logger): Promise<void> {
    const steps = await this.repo.stepsOf([run.id]);
    for (const row of steps) {
      // A step begun but not finished has nothing to undo; one with a compensation is an undo under way.
      const unfinished = row.status === 'WAITING' || row.status === 'RUNNING' || row.status === 'RETRYING';
      if (unfinished && (row.compensation === null || row.compensation === undefined)) {
        await this.repo.setStep(run.id, row.position, 'SKIPPED', { error: 'not finished: the flow was undone', finished: true });
      }
    }
    await this.repo.setWaits(run.id, []);
    const toUndo = steps.filter((s) => s.compensation !== null && s.compensation !== undefined && s.status !== 'COMPENSATED').reverse();
    for (const row of toUndo) {
      const step = this.definition.steps[row.position - 1];
      if (!step.compensate) continue;
      const renewed = await this.repo.renewLease(run.id, this.owner, this.options.leaseMs);
      if (!renewed) return;
      const attempts = await this.repo.startStep(run.id, row.position);
      const stepLogger = logger.child({ step: step.id, attempt: attempts, compensating: true });
      try {
        const undo = step.compensate.bind(step);
        await tracedFrom(run.traceParent, 'child', `flow undo ${step.id}`, { 'flow.name': this.definition.name, 'flow.run_id': run.id, 'flow.step': step.id }, () =>
          undo(row.compensation, run.state as State, this.deps, this.context(run, step, stepLogger, true)),
        );
      } catch (error) {
        const message = failureText(error);
        const now = Date.now();
        // The run stays COMPENSATING while an undo is retried; its retry says why and until when.
        const decision = decideUndoFailure({ stepId: step.id, error, attempts, streak: streakOf(run), now }, this.definition.failures, this.options.retry);
        if (decision.kind === 'retry') {
          this.flowMetrics.retries.inc({ flow: this.definition.name, step: step.id });
          stepLogger.warn({ err: error, delayMs: decision.delayMs, retryUntil: new Date(decision.streak.until).toISOString() }, 'compensation failed; retrying');
          await this.repo.setStep(run.id, row.position, 'RETRYING', { error: `undo attempt ${attempts} failed: ${message}` });
          await this.repo.update(run.id, this.owner, { retry: retryOf(decision, now), checkAgainInMs: decision.delayMs + this.options.leaseMs }, { release: true });
          await this.scheduleRetry(run.id, decision, null);
          return;
        }
        stepLogger.error({ err: error }, 'compensation failed');
        await this.repo.setStep(run.id, row.position, 'FAILED', { error: `undo failed: ${message}`, finished: true });
        await this.repo.update(run.id, this.owner, { status: 'FAILED', error: `${run.error ? `${run.error}; ` : ''}${decision.error}`, retry: null }, { release: true });
        this.flowMetrics.finished.inc({ flow: this.definition.name, status: 'FAILED' });
        return;
      }
      await this.repo.setStep(run.id, row.position, 'COMPENSATED', { finished: true });
      // The next undo step starts a streak of its own.
      if (run.retry) {
        await this.repo.update(run.id, this.owner, { retry: null }, { release: false });
        run = { ...run, retry: null };
      }
      stepLogger.info('flow step compensated');
    }
    await this.repo.update(run.id, this.owner, { status: 'COMPENSATED', retry: null }, { release: true });
    this.flowMetrics.finished.inc({ flow: this.definition.name, status: 'COMPENSATED' });
    logger.info('flow compensated');
  }

  private context(run: FlowRun, step: FlowStep<State, unknown, Deps>, logger: Logger, undo: boolean): StepContext {
    return {
      runId: run.id,
      key: (part?: string) => [run.id, step.id, undo ? 'undo' : null, part].filter(Boolean).join(':'),
      logger,
    };
  }

  // A step that just began waiting is looked at again after pollMs; one already waiting, later the longer it waited.
  private recheckDelayMs(waiting: FlowStepRow | null): number {
    const since = waiting?.startedAt ? Date.parse(waiting.startedAt) : Number.NaN;
    const waitedMs = Number.isNaN(since) ? 0 : Math.max(0, Date.now() - since);
    return waitRecheckMs(waitedMs, this.options.pollMs, this.options.waitRecheckMaxMs ?? DEFAULT_WAIT_RECHECK_MAX_MS);
  }

  private notify(): void {
    if (this.workerIds.length === 0) return;
    this.options.boss.notifyWorker(this.workerIds[this.nextWorker++ % this.workerIds.length]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}

/** The run's streak of transient failures, if it is in one. */
function streakOf(run: FlowRun): RetryStreak | null {
  return run.retry ? { since: Date.parse(run.retry.since), until: Date.parse(run.retry.until) } : null;
}

/** The retry a decision puts the run in. */
function retryOf(decision: RetryDecision, now: number): FlowRunRetry {
  return {
    cause: decision.code,
    system: decision.system,
    since: new Date(decision.streak.since).toISOString(),
    until: new Date(decision.streak.until).toISOString(),
    nextAttemptAt: new Date(now + decision.delayMs).toISOString(),
  };
}
