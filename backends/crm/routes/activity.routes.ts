import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { findActivitiesByIds, findLatestActivitiesByAccounts } from '../repositories/activity.repository';
import { findCasesByAccounts, findCasesByIds } from '../repositories/case.repository';
import { logActivity, openCase } from '../services/activity.service';
import { activityInputSchema, caseInputSchema, parseInput } from '../validation';
import { listQuery, oneBatch, wholePage } from './route-helpers';
import { idempotentWrite } from '../../../platform/idempotency';

const DEFAULT_LAST = 20;

/** Activities (calls, emails, meetings, notes, system milestones) and service cases of accounts. */
export function registerActivityRoutes(app: FastifyInstance, db: Database): void {
  app.get('/activities', async (req) => {
    const query = listQuery(req);
    const batch = oneBatch(req, ['account_ids', 'ids']);
    if (!batch) throw new AppError(ErrorCode.BAD_USER_INPUT, 'account_ids or ids is required', { field: 'account_ids' });
    if (batch.name === 'ids') return wholePage(await findActivitiesByIds(db, batch.values));
    return wholePage(await findLatestActivitiesByAccounts(db, batch.values, query.last ?? DEFAULT_LAST));
  });

  app.post('/activities', async (req, reply) => {
    const input = parseInput(activityInputSchema, req.body, 'activity');
    return idempotentWrite(db, req, reply, 201, (tx) => logActivity(tx, input));
  });

  app.get('/cases', async (req) => {
    const query = listQuery(req);
    const batch = oneBatch(req, ['account_ids', 'ids']);
    if (!batch) throw new AppError(ErrorCode.BAD_USER_INPUT, 'account_ids or ids is required', { field: 'account_ids' });
    if (batch.name === 'ids') return wholePage(await findCasesByIds(db, batch.values));
    return wholePage(await findCasesByAccounts(db, batch.values, query.status));
  });

  app.post('/cases', async (req, reply) => {
    const input = parseInput(caseInputSchema, req.body, 'case');
    return idempotentWrite(db, req, reply, 201, (tx) => openCase(tx, input));
  });
}
