import { ErrorCode, isAppError } from '../../../../platform/errors';

/**
 * The text a failed step or flow keeps: the error's code and its message when it is a coded
 * failure, and no more than a code for anything else, whose message may name internals (a query,
 * a host, a stack); that one goes to the log with the flow id. Readers see a further redacted form
 * (flow-error-text.ts) unless they may read credit figures.
 */
export function failureText(error: unknown): string {
  if (!isAppError(error)) return `${ErrorCode.INTERNAL_SERVER_ERROR}: an internal error (logged with this flow's id)`;
  return error.message.startsWith(`${error.code}:`) ? error.message : `${error.code}: ${error.message}`;
}
