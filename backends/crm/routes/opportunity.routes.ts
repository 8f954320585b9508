import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { findOpportunitiesByAccounts, findOpportunitiesByIds, findOpportunitiesBySalesOrders, listOpportunities } from '../repositories/opportunity.repository';
import { notFound } from '../services/not-found';
import { changeOpportunity, createOpportunity } from '../services/opportunity.service';
import { opportunityInputSchema, opportunityPatchSchema, parseInput } from '../validation';
import { idParam, listQuery, oneBatch, pageRequest, wholePage } from './route-helpers';
import { idempotentWrite } from '../../../platform/idempotency';

/** Opportunities with their lines; the amount is always the exact sum of the lines. */
export function registerOpportunityRoutes(app: FastifyInstance, db: Database): void {
  app.get('/opportunities', async (req) => {
    const query = listQuery(req);
    const batch = oneBatch(req, ['ids', 'account_ids', 'erp_sales_order_ids']);
    if (batch?.name === 'ids') return wholePage(await findOpportunitiesByIds(db, batch.values));
    if (batch?.name === 'account_ids') return wholePage(await findOpportunitiesByAccounts(db, batch.values, query.stage));
    if (batch?.name === 'erp_sales_order_ids') return wholePage(await findOpportunitiesBySalesOrders(db, batch.values));
    return listOpportunities(db, { stage: query.stage, accountId: query.account_id, search: query.search || undefined }, pageRequest(query));
  });

  app.get('/opportunities/:id', async (req) => {
    const id = idParam(req);
    const [opportunity] = await findOpportunitiesByIds(db, [id]);
    if (!opportunity) throw notFound('opportunity', id);
    return opportunity;
  });

  app.post('/opportunities', async (req, reply) => {
    const input = parseInput(opportunityInputSchema, req.body, 'opportunity');
    return idempotentWrite(db, req, reply, 201, (tx) => createOpportunity(tx, input));
  });

  app.patch('/opportunities/:id', async (req, reply) => {
    const id = idParam(req);
    const patch = parseInput(opportunityPatchSchema, req.body, 'opportunity');
    return idempotentWrite(db, req, reply, 200, (tx) => changeOpportunity(tx, id, patch));
  });
}
