import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';

/**
 * Extension keys a client may see. Everything else (stack traces, a subgraph's HTTP response and
 * URL, exception objects) stays inside; a later concern that needs another key adds it here.
 */
export const PUBLIC_EXTENSION_KEYS = ['code', 'serviceName', 'field', 'system', 'limit'] as const;

/**
 * Formats every error leaving the gateway: a coded error keeps its code, message and
 * serviceName; anything without a code, or INTERNAL_SERVER_ERROR, is logged with the request id
 * and reaches the client as INTERNAL_SERVER_ERROR with no details.
 */
export function formatGatewayError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const extensions: Record<string, unknown> = {};
  for (const key of PUBLIC_EXTENSION_KEYS) {
    if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
  }
  const code = extensions.code;
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // A subgraph's own INTERNAL_SERVER_ERROR was logged there; only gateway-side surprises are logged here.
  if (extensions.serviceName === undefined) {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    logger.error({ err: original, path: formatted.path }, 'unexpected gateway error');
  }
  const serviceName = extensions.serviceName;
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(serviceName !== undefined ? { serviceName } : {}) },
  };
}
