import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import type { DemoDataset } from '../../backends/demo-data/demo-dataset.types';

/**
 * The demo business at the size a Tryton database is seeded with in a couple of minutes (every
 * order goes through Tryton's workflow). The CRM is seeded with the same sizes so its accounts
 * link to these customers.
 */
export const TRYTON_DEMO_SCALE = { customers: 40, salesOrders: 40, opportunities: 20 } as const;

export function trytonDemoData(): DemoDataset {
  return buildDemoDataset(TRYTON_DEMO_SCALE);
}
