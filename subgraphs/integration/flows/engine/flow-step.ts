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
export type StepOutcome<Output, Compensation> =
  /** Done: `output` is merged into the run state; `compensation` is what undoing needs (none: nothing to undo). */
  | { kind: 'done'; output?: Output; compensation?: Compensation }
  /** Nothing to do for this run (e.g. no shortage, so no production). */
  | { kind: 'skipped'; output?: Output }
  /**
   * The outside world has not moved yet; the run parks until one of `on` changes or the poll looks
   * again. `reason` is shown as the step's error while it waits (e.g. what it waits for).
   * `checkAgainInMs` spaces the poll's looks for waits that a wake-up ends and that need not be
   * polled often (default: the engine's poll interval).
   */
  | { kind: 'waiting'; on: WaitTarget[]; reason?: string; checkAgainInMs?: number };

/** What a step may use besides the run state. */
export interface StepContext {
  runId: string;
  /** Idempotency key of one backend write of this step; `part` tells apart several writes of a step. */
  key(part?: string): string;
  logger: Logger;
}

/**
 * One step of a flow (medusa-style): `invoke` does it and says what `compensate` needs;
 * `compensate` undoes it, is idempotent, and does nothing when there is nothing to undo. `Input`
 * is the state the step needs (what the flow's input and the earlier steps' outputs provide, as
 * `defineFlow` checks), `Output` what it adds to the state.
 */
export interface FlowStep<Input, Output, Deps, Compensation = unknown> {
  /** Stable name; it appears in the step log and in idempotency keys. */
  id: string;
  invoke(state: Input, deps: Deps, ctx: StepContext): Promise<StepOutcome<Output, Compensation>>;
  compensate?(compensation: Compensation, state: Input, deps: Deps, ctx: StepContext): Promise<void>;
}

/** Builds a step with its types checked (the identity, for readable step files). */
export function defineStep<Input, Output, Deps, Compensation = never>(step: FlowStep<Input, Output, Deps, Compensation>): FlowStep<Input, Output, Deps, Compensation> {
  return step;
}

/**
 * What a step failure with this error code means for the run: `compensate` (the business says
 * no: undo what was done, end COMPENSATED), `retry` (the world may change: retry with backoff,
 * then FAILED) or `fail` (FAILED at once; retryOrderFlow-style resumption).
 */
export interface FailureRule {
  code: string;
  then: 'compensate' | 'retry' | 'fail';
}

/**
 * An id a run is found by, read from its state (at the start and after every step): e.g. the
 * opportunity an order flow converts, the sales order it created. `unique`: at most one run of the
 * flow per value; a second start with it is refused.
 */
export interface FlowRef<State> {
  name: string;
  of(state: State): string | null | undefined;
  unique?: boolean;
}

/** A flow: a name, its steps in order, what its failures mean and the ids its runs are found by. */
export interface FlowDefinition<State, Deps> {
  name: string;
  // Steps differ in their input, output and compensation types; defineFlow checked how they chain.
  steps: readonly FlowStep<any, any, Deps, any>[];
  /** Failures by error code; codes not listed follow the engine's default (failure-rules.ts). */
  failures: readonly FailureRule[];
  refs: readonly FlowRef<State>[];
}

/** A flow being defined; each step must find what it needs in the input and the outputs before it. */
export class FlowBuilder<Input, State, Deps> {
  constructor(
    private readonly name: string,
    private readonly steps: readonly FlowStep<any, any, Deps, any>[],
  ) {}

  /** Adds the next step; a step that needs state no earlier step provides does not compile. */
  step<StepInput, Output, Compensation>(
    step: FlowStep<StepInput, Output, Deps, Compensation>,
    ..._provided: State extends StepInput ? [] : [missing: Exclude<keyof StepInput, keyof State> | 'a field of another type']
  ): FlowBuilder<Input, State & Output, Deps> {
    return new FlowBuilder<Input, State & Output, Deps>(this.name, [...this.steps, step]);
  }

  /** The definition, with the flow's failure rules and the ids its runs are found by. */
  build(options: { failures: readonly FailureRule[]; refs: readonly FlowRef<Input & Partial<State>>[] }): FlowDefinition<Input & Partial<State>, Deps> {
    return { name: this.name, steps: this.steps, failures: options.failures, refs: options.refs };
  }
}

/** Starts a flow definition: `defineFlow<Input, Deps>(name).step(a).step(b).build({ failures, refs })`. */
export function defineFlow<Input, Deps>(name: string): FlowBuilder<Input, Input, Deps> {
  return new FlowBuilder<Input, Input, Deps>(name, []);
}
