import { ErrorCode, isAppError } from './errors';

/**
 * Runs a keyed backend write, repeating it with the same idempotency key while the backend is
 * unavailable (backoff doubling from `retryMs`); any other failure, or the last attempt's, is thrown.
 * Safe only for writes that carry a key: the backend may have applied an attempt it never answered.
 */
export async function retryWhileUnavailable<T>(
  write: () => Promise<T>,
  options: { attempts: number; retryMs: number; onRetry?: (attempt: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const transient = isAppError(error) && error.code === ErrorCode.UPSTREAM_UNAVAILABLE;
      if (!transient || attempt >= options.attempts) throw error;
      options.onRetry?.(attempt);
      await new Promise((resolve) => setTimeout(resolve, options.retryMs * 2 ** (attempt - 1)));
    }
  }
}
