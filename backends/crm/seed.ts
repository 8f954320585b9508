import type { Database } from '../../platform/db';
import type { CrmDemoData } from '../demo-data/demo-dataset.types';
import { insertAccounts, insertActivities, insertCases, insertContacts, insertOpportunities, insertUsers, lockIfEmpty } from './repositories/seed.repository';

/**
 * Loads the CRM's part of the demo data in one transaction, once: when the CRM already holds
 * accounts it does nothing and returns false. `dataset` is only built when needed, so a restart
 * does not pay for generating it. No change events are written for seeded rows. The tables are
 * analysed once filled, so the planner's statistics (kept in the database) fit the seed.
 */
export async function seedCrm(db: Database, dataset: () => CrmDemoData): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (!(await lockIfEmpty(tx))) return false;
    const data = dataset();
    await insertUsers(tx, data.users);
    await insertAccounts(tx, data.accounts);
    await insertContacts(tx, data.contacts);
    await insertOpportunities(tx, data.opportunities);
    await insertActivities(tx, data.activities);
    await insertCases(tx, data.cases);
    await tx.query('ANALYZE');
    return true;
  });
}
