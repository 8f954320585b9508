import type { Logger } from '../../../../platform/logger';

/** An ERP record a waiting step waits on; a change event about a newer version of it wakes the run. */
export interface WaitTarget {
  entity: string;
  entityId: string;
  /** The version the step saw; events about it or older ones do not wake the run (none: every event does). */
  seenVersion?: number;
}

/** A change event about a record, as far as waking runs is concerned. */
export interface ChangedRecord {
  entity: string;
  entityId: string;
  version: number;
}

/** What one step invocation produced. */
export type StepOutcome<State, Compensation> =
  /** Done: `output` is merged into the run state; `compensation` is what undoing needs (none: nothing to undo). */
  | { kind: 'done'; output?: Partial<State>; compensation?: Compensation }
  /** Nothing to do for this order (e.g. no shortage, so no production). */
  | { kind: 'skipped'; output?: Partial<State> }
  /** The outside world has not moved yet; the run parks until one of `on` changes or the poll looks again. */
  | { kind: 'waiting'; on: WaitTarget[]; output?: Partial<State> };

/** What a step may use besides the run state. */
export interface StepContext {
  runId: string;
  /** Idempotency key of one backend write of this step; `part` tells apart several writes of a step. */
  key(part?: string): string;
  logger: Logger;
}

/**
 * One step of a flow (medusa-style): `invoke` does it and says what `compensate` needs;
 * `compensate` undoes it, is idempotent, and does nothing when there is nothing to undo.
 */
export interface FlowStep<State, Deps, Compensation = unknown> {
  /** Stable name; it appears in the step log and in idempotency keys. */
  id: string;
  invoke(state: State, deps: Deps, ctx: StepContext): Promise<StepOutcome<State, Compensation>>;
  compensate?(compensation: Compensation, state: State, deps: Deps, ctx: StepContext): Promise<void>;
}

/** A flow: a name and its steps in order. */
export interface FlowDefinition<State, Deps> {
  name: string;
  // Steps differ in their compensation type; the engine stores it as JSON.
  steps: readonly FlowStep<State, Deps, any>[];
}

/** Builds a step with its types checked (the identity, for readable step files). */
export function defineStep<State, Deps, Compensation = never>(step: FlowStep<State, Deps, Compensation>): FlowStep<State, Deps, Compensation> {
  return step;
}
