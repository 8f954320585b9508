import { ErrorCode, isAppError } from '../../../../platform/errors';
import { failureText } from './failure-text';
import type { FailureRule, FlowRef } from './flow-step';

/** The engine's decisions, as pure functions of what it knows: tested without a database. */

/** The delay before retry `attempt` (1-based): exponential from `baseMs`, plus up to half again of jitter (`random` in [0, 1)). */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(exponential + random() * exponential * 0.5);
}

/** The error code of a failure; an error without one counts as the backend being unavailable. */
export function codeOf(error: unknown): string {
  return isAppError(error) ? error.code : ErrorCode.UPSTREAM_UNAVAILABLE;
}

/**
 * What a failure means when the flow's rules do not name its code: an error without a code or an
 * unavailable backend may pass (retry), any other coded error will not (fail).
 */
function defaultRule(code: string): FailureRule['then'] {
  return code === ErrorCode.UPSTREAM_UNAVAILABLE ? 'retry' : 'fail';
}

/** How a failure is treated: the flow's own rule for its code, else the engine's default. */
export function failureKind(error: unknown, rules: readonly FailureRule[]): FailureRule['then'] {
  const code = codeOf(error);
  return rules.find((rule) => rule.code === code)?.then ?? defaultRule(code);
}

/** What happens to a run after one of its steps failed. */
export type FailureDecision =
  /** Try the step again after `delayMs`. */
  | { kind: 'retry'; delayMs: number }
  /** The business says no: undo what was done. */
  | { kind: 'compensate'; code: string; error: string }
  /** The run is FAILED with this reason until someone resumes it. */
  | { kind: 'fail'; code: string; error: string };

/**
 * Decides what a forward step's failure does to the run: retried (a retryable failure with
 * attempts left), compensated (the flow's rules say so) or failed with a reason that says whether
 * retries ran out.
 */
export function decideFailure(
  failure: { stepId: string; error: unknown; attempts: number },
  rules: readonly FailureRule[],
  retry: { maxAttempts: number; retryBaseMs: number; random?: () => number },
): FailureDecision {
  const { stepId, error, attempts } = failure;
  // Coded text only: an uncoded error's message may name internals and goes to the log instead.
  const message = failureText(error);
  const code = codeOf(error);
  const kind = failureKind(error, rules);
  if (kind === 'retry' && attempts < retry.maxAttempts) return { kind: 'retry', delayMs: backoffMs(attempts, retry.retryBaseMs, retry.random) };
  if (kind === 'compensate') return { kind: 'compensate', code, error: message };
  return { kind: 'fail', code, error: kind === 'retry' ? `${stepId} failed after ${attempts} attempts: ${message}` : `${stepId} failed: ${message}` };
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
