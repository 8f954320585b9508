/**
 * Coded errors shared by every service. A domain failure is an AppError with one of these codes;
 * REST layers map it to an HTTP status, GraphQL layers to `extensions.code`.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  CREDIT_LIMIT_EXCEEDED: 'CREDIT_LIMIT_EXCEEDED',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A failure with a code a client can act on; `details` must never hold secrets. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Narrows to AppError, also across module copies (checks the shape, not the prototype). */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError || (error instanceof Error && error.name === 'AppError' && 'code' in error);
}

/** Used at the end of exhaustive switches so a new enum member fails to compile. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}

/** The HTTP status a REST API answers for each code. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.CONFLICT:
      return 409;
    case ErrorCode.CREDIT_LIMIT_EXCEEDED:
    case ErrorCode.OUT_OF_STOCK:
    case ErrorCode.CURRENCY_MISMATCH:
      return 422;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.NOT_IMPLEMENTED:
      return 501;
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      return 503;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    default:
      return assertUnreachable(code);
  }
}

/** The code for an HTTP status received from a backend (the inverse of httpStatusOf, coarse). */
export function codeOfHttpStatus(status: number): ErrorCode {
  if (status === 400 || status === 413 || status === 422) return ErrorCode.BAD_USER_INPUT;
  if (status === 401) return ErrorCode.UNAUTHENTICATED;
  if (status === 403) return ErrorCode.FORBIDDEN;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 409) return ErrorCode.CONFLICT;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status === 501) return ErrorCode.NOT_IMPLEMENTED;
  if (status >= 500) return ErrorCode.UPSTREAM_UNAVAILABLE;
  return ErrorCode.INTERNAL_SERVER_ERROR;
}
