import { ErrorCode, isAppError } from '../../../../platform/errors';
import { failureText } from './failure-text';
import type { FailureRule, FlowRef } from './flow-step';

/** The engine's decisions, as pure functions of what it knows: tested without a database. */

/**
 * How transient failures are retried: capped exponential backoff with jitter, for a window counted
 * from the step's first failure of the current streak (a success ends the streak).
 */
export interface RetryPolicy {
  /** Delay before the first retry; doubles per attempt. */
  baseMs: number;
  /** Longest delay between two attempts. */
  maxDelayMs: number;
  /** How long a step keeps being retried; when it ends the run is FAILED. */
  windowMs: number;
  /** Jitter source in [0, 1) (tests pin it). */
  random?: () => number;
}

/** A run's current streak of transient failures: from its first failure until retries give up (epoch ms). */
export interface RetryStreak {
  since: number;
  until: number;
}

/**
 * The delay before retry `attempt` (1-based): doubling from `baseMs`, at most `maxMs`, less up to
 * half of it as jitter (`random` in [0, 1)), so many runs failing together do not retry together
 * and no delay exceeds the cap.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs = Number.POSITIVE_INFINITY, random: () => number = Math.random): number {
  const capped = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(capped - random() * capped * 0.5);
}

/**
 * When a waiting run is looked at again unless a change event wakes it first: a quarter of the time
 * it has waited so far, at least `pollMs`, at most `maxMs`. Events wake runs at once; this look only
 * catches one whose event was lost, so a run waiting days for its shipment costs a backend read
 * every few minutes instead of every `pollMs` (thousands of open orders would otherwise keep the
 * ERP busy), while an event lost early is still caught within seconds.
 */
export function waitRecheckMs(waitedMs: number, pollMs: number, maxMs: number): number {
  return Math.round(Math.min(Math.max(maxMs, pollMs), Math.max(pollMs, waitedMs / 4)));
}

/** The error code of a failure; an error without one counts as the backend being unavailable. */
export function codeOf(error: unknown): string {
  return isAppError(error) ? error.code : ErrorCode.UPSTREAM_UNAVAILABLE;
}

/** The system a failure came from ("erp", "crm"), when the connector said; null when unknown. */
export function systemOf(error: unknown): string | null {
  const system = isAppError(error) ? error.details?.system : undefined;
  return typeof system === 'string' ? system : null;
}

/** Codes of failures that pass by themselves: a backend unreachable, timing out or overloaded. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/** True for a coded failure that passes by itself (a backend unreachable, timing out or overloaded). */
export function isTransientFailure(error: unknown): boolean {
  return isAppError(error) && TRANSIENT_CODES.has(error.code);
}

/**
 * What a failure means when the flow's rules do not name its code: an error without a code, an
 * unavailable or overloaded backend may pass (retry), any other coded error will not (fail).
 */
function defaultRule(code: string): FailureRule['then'] {
  return TRANSIENT_CODES.has(code) ? 'retry' : 'fail';
}

/** How a failure is treated: the flow's own rule for its code, else the engine's default. */
export function failureKind(error: unknown, rules: readonly FailureRule[]): FailureRule['then'] {
  const code = codeOf(error);
  return rules.find((rule) => rule.code === code)?.then ?? defaultRule(code);
}

/** A transient failure to try again: when, and the streak it belongs to. */
export interface RetryDecision {
  kind: 'retry';
  delayMs: number;
  code: string;
  /** The backend it came from, when known: its return wakes the run early. */
  system: string | null;
  streak: RetryStreak;
}

/** What happens to a run after one of its steps failed. */
export type FailureDecision =
  /** Try the step again after `delayMs`; the run is RETRYING meanwhile. */
  | RetryDecision
  /** The business says no: undo what was done. */
  | { kind: 'compensate'; code: string; error: string }
  /** The run is FAILED with this reason until someone resumes it. */
  | { kind: 'fail'; code: string; error: string };

/** A failure as the engine saw it: which step, the error, its attempts so far, the run's streak (null: none yet) and the time. */
export interface StepFailure {
  stepId: string;
  error: unknown;
  attempts: number;
  streak: RetryStreak | null;
  now: number;
}

/**
 * Decides what a forward step's failure does to the run: retried (a transient failure inside the
 * retry window), compensated (the flow's rules say so) or failed with a reason that says whether
 * the window ran out. The last retry is scheduled for the window's end at the latest.
 */
export function decideFailure(failure: StepFailure, rules: readonly FailureRule[], policy: RetryPolicy): FailureDecision {
  const { stepId, error } = failure;
  // Coded text only: an uncoded error's message may name internals and goes to the log instead.
  const message = failureText(error);
  const code = codeOf(error);
  const kind = failureKind(error, rules);
  if (kind === 'compensate') return { kind: 'compensate', code, error: message };
  if (kind === 'retry') return retryWithinWindow(failure, policy) ?? { kind: 'fail', code, error: `${stepId} failed ${exhausted(failure)}: ${message}` };
  return { kind: 'fail', code, error: `${stepId} failed: ${message}` };
}

/**
 * Decides what an undo step's failure does: retried like a forward step while it may pass and the
 * window lasts, else the run is FAILED (a refusal cannot be compensated in turn).
 */
export function decideUndoFailure(failure: StepFailure, rules: readonly FailureRule[], policy: RetryPolicy): RetryDecision | { kind: 'fail'; error: string } {
  const message = failureText(failure.error);
  if (failureKind(failure.error, rules) !== 'retry') return { kind: 'fail', error: `undoing ${failure.stepId} failed: ${message}` };
  return retryWithinWindow(failure, policy) ?? { kind: 'fail', error: `undoing ${failure.stepId} failed ${exhausted(failure)}: ${message}` };
}

/** The retry of a transient failure while the streak's window lasts; null once it has ended. */
function retryWithinWindow(failure: StepFailure, policy: RetryPolicy): RetryDecision | null {
  const streak = failure.streak ?? { since: failure.now, until: failure.now + policy.windowMs };
  const left = streak.until - failure.now;
  if (left <= 0) return null;
  const delayMs = Math.min(backoffMs(failure.attempts, policy.baseMs, policy.maxDelayMs, policy.random), left);
  return { kind: 'retry', delayMs, code: codeOf(failure.error), system: systemOf(failure.error), streak };
}

/** "after N attempts over M s": how long a streak was retried before it gave up. */
function exhausted(failure: StepFailure): string {
  const seconds = Math.round((failure.now - (failure.streak?.since ?? failure.now)) / 1000);
  return `after ${failure.attempts} attempts over ${seconds} s`;
}

/** True when a failure may pass by itself, per the flow's rules (waits and undo steps retry these). */
export function isRetryable(error: unknown, rules: readonly FailureRule[]): boolean {
  return failureKind(error, rules) === 'retry';
}

/** A step row as far as choosing the next one goes. */
export interface StepProgress {
  position: number;
  status: string;
}

/** The first step of the run not finished yet (DONE or SKIPPED), or undefined when the flow is through. */
export function nextStep<Row extends StepProgress>(steps: readonly Row[]): Row | undefined {
  return steps.find((s) => s.status !== 'DONE' && s.status !== 'SKIPPED');
}

/** The ids a run in this state is found by, each with its value (ids the state does not hold yet are left out). */
export function refsOf<State>(refs: readonly FlowRef<State>[], state: State): { name: string; value: string; unique: boolean }[] {
  return refs.flatMap((ref) => {
    const value = ref.of(state);
    return value ? [{ name: ref.name, value, unique: ref.unique ?? false }] : [];
  });
}

/** The ids whose value the state changed from what the run is found by now: what a finished step must record. */
export function changedRefs<State>(refs: readonly FlowRef<State>[], known: Readonly<Record<string, string>>, state: State): { name: string; value: string; unique: boolean }[] {
  return refsOf(refs, state).filter((ref) => known[ref.name] !== ref.value);
}
