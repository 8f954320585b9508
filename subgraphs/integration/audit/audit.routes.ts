import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '../../../platform/errors';
import { type AuditLogRepository, auditEntriesSchema } from './audit-log.repository';

/** The internal route the gateway reports mutations to; the service-token guard protects it. */
export const AUDIT_ROUTE = '/internal/audit';

/** Stores the gateway's audit entries; 204 once they are committed. */
export function registerAuditRoutes(app: FastifyInstance, auditLog: AuditLogRepository): void {
  app.post(AUDIT_ROUTE, async (req, reply) => {
    const parsed = auditEntriesSchema.safeParse(req.body);
    if (!parsed.success) throw new AppError(ErrorCode.BAD_USER_INPUT, 'audit entries are malformed', { field: parsed.error.issues[0]?.path.join('.') });
    await auditLog.append(parsed.data.entries);
    return reply.code(204).send();
  });
}
