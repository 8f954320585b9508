import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { findAccountsByErpCustomerNos, findAccountsByIds, listAccounts } from '../repositories/account.repository';
import { findContactsByAccounts, findContactsByIds } from '../repositories/contact.repository';
import { findUsersByIds, listUsers } from '../repositories/user.repository';
import { changeAccount, createAccount } from '../services/account.service';
import { notFound } from '../services/not-found';
import { accountInputSchema, accountPatchSchema, parseInput } from '../validation';
import { MAX_BATCH, batchParam, idParam, listQuery, oneBatch, pageRequest, wholePage } from './route-helpers';
import { idempotentWrite } from '../../../platform/idempotency';

/** Accounts, their contacts and the users who own them. */
export function registerAccountRoutes(app: FastifyInstance, db: Database): void {
  app.get('/users', async (req) => {
    const ids = batchParam(req, 'ids');
    return wholePage(ids ? await findUsersByIds(db, ids) : await listUsers(db, MAX_BATCH));
  });

  app.get('/accounts', async (req) => {
    const query = listQuery(req);
    const batch = oneBatch(req, ['ids', 'erp_customer_nos']);
    if (batch?.name === 'ids') return wholePage(await findAccountsByIds(db, batch.values));
    if (batch?.name === 'erp_customer_nos') return wholePage(await findAccountsByErpCustomerNos(db, batch.values));
    return listAccounts(db, { search: query.search || undefined }, pageRequest(query));
  });

  app.get('/accounts/:id', async (req) => {
    const id = idParam(req);
    const [account] = await findAccountsByIds(db, [id]);
    if (!account) throw notFound('account', id);
    return account;
  });

  app.post('/accounts', async (req, reply) => {
    const input = parseInput(accountInputSchema, req.body, 'account');
    return idempotentWrite(db, req, reply, 201, (tx) => createAccount(tx, input));
  });

  app.patch('/accounts/:id', async (req, reply) => {
    const id = idParam(req);
    const patch = parseInput(accountPatchSchema, req.body, 'account');
    if (patch.name === null) throw new AppError(ErrorCode.BAD_USER_INPUT, 'invalid account: name cannot be removed', { field: 'name' });
    return idempotentWrite(db, req, reply, 200, (tx) => changeAccount(tx, id, patch));
  });

  app.get('/contacts', async (req) => {
    const batch = oneBatch(req, ['account_ids', 'ids']);
    if (!batch) throw new AppError(ErrorCode.BAD_USER_INPUT, 'account_ids or ids is required', { field: 'account_ids' });
    return wholePage(batch.name === 'ids' ? await findContactsByIds(db, batch.values) : await findContactsByAccounts(db, batch.values));
  });
}
