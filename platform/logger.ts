import pino, { type Logger } from 'pino';
import { currentRequestContext } from './request-context';
import { currentTraceId } from './tracing';

export type { Logger };

/** Paths whose values never reach a log line: credentials, tokens, signatures. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-service-token"]',
  'req.headers["x-signature"]',
  'headers.authorization',
  'headers["x-service-token"]',
  'headers["x-signature"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.internalSecret',
  '*.webhookSecret',
  '*.jwtSecret',
  // Nested request/response objects (an HTTP client's options, an error's request) and config objects.
  '*.headers.authorization',
  '*.headers["x-service-token"]',
  '*.headers["x-signature"]',
  '*.headers.cookie',
  '*.authorization',
  '*.serviceToken',
  'INTERNAL_SECRET',
  'WEBHOOK_SECRET',
  'JWT_SECRET',
  '*.INTERNAL_SECRET',
  '*.WEBHOOK_SECRET',
  '*.JWT_SECRET',
];

/** A JSON logger for one service; every line carries the active request id and trace id. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin() {
      const ctx = currentRequestContext();
      const traceId = currentTraceId();
      return { ...(ctx ? { requestId: ctx.requestId } : {}), ...(traceId ? { traceId } : {}) };
    },
    // A line's own fields win over the context's, and no key is written twice.
    mixinMergeStrategy: (line, fromContext) => Object.assign(fromContext, line),
  });
}
