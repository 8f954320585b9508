import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSecrets } from '../../../platform/secrets';
import { exportDefinition } from '../../../platform/export/export-kinds';
import type { TestStack } from '../../../test-support/stack';

// Bulk import and export against the whole stack as processes: the CLIs as a user runs them,
// and the gateway's authenticated download endpoint.
const ROOT = path.resolve(__dirname, '../../..');

/** Import and export on a running embedded stack; its orders must not change meanwhile (the export is compared with the API). */
export function transferCases(stackOf: () => TestStack): void {
  describe('bulk import and export on the running stack', () => {
    let stack: TestStack;
    let dir: string;
    let adminToken: string;

    beforeAll(async () => {
      stack = stackOf();
      dir = mkdtempSync(path.join(tmpdir(), 'transfer-e2e-'));
      const secret = new TextEncoder().encode(loadOrCreateLocalSecrets(stack!.dataDir).jwtSecret);
      adminToken = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('e2e-export').setIssuedAt().setExpirationTime('1h').sign(secret);
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs one of the CLIs against the test stack and returns its exit code and output. */
    function cli(script: 'import' | 'export', args: string[]) {
      // The secrets come from the stack's data folder, as they would for a user of the embedded stack.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATA_DIR: stack!.dataDir,
        ERP_BACKEND_URL: stack!.urls['erp-backend'],
        CRM_BACKEND_URL: stack!.urls['crm-backend'],
        GATEWAY_URL: stack!.graphqlUrl,
      };
      for (const name of ['INTERNAL_SECRET', 'WEBHOOK_SECRET', 'JWT_SECRET', 'DATABASE_URL']) delete env[name];
      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', `${script}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
      return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    }

    function exportUrl(file: string): string {
      return stack!.graphqlUrl.replace(/\/graphql$/, `/export/${file}`);
    }

    it('refuses the export endpoint without a token or with an invalid one', async () => {
      const none = await fetch(exportUrl('orders.csv'));
      expect(none.status).toBe(401);
      expect(((await none.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const browser = await fetch(exportUrl('orders.csv'), { headers: { accept: 'text/html' } });
      expect(browser.status).toBe(401);
      const forged = await fetch(exportUrl('orders.csv'), { headers: { authorization: `Bearer ${adminToken.slice(0, -4)}AAAA` } });
      expect(forged.status).toBe(401);
    });

    it('streams every sales order as CSV with the values the API answers for the same orders', async () => {
      const response = await fetch(exportUrl('orders.csv'), { headers: { authorization: `Bearer ${adminToken}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];

      const { data } = await stack.gql(
        `query($first: Int!) { salesOrders(first: $first) { totalCount nodes { number status createdAt total { amount currency } customer { id name crmAccountId erpCustomerNo } opportunity { id name } invoices { number status } } } }`,
        { first: 100 },
      );
      expect(rows).toHaveLength(data.salesOrders.totalCount);
      expect(Object.keys(rows[0])).toEqual([...exportDefinition('orders').columns]);
      const expected = data.salesOrders.nodes.map((o: any) => ({
        number: o.number,
        status: o.status,
        createdAt: o.createdAt,
        total: o.total.amount,
        currency: o.total.currency,
        customerId: o.customer.id,
        customerName: o.customer.name,
        crmAccountId: o.customer.crmAccountId ?? '',
        erpCustomerNo: o.customer.erpCustomerNo ?? '',
        opportunityId: o.opportunity?.id ?? '',
        opportunityName: o.opportunity?.name ?? '',
        invoiceNumbers: o.invoices.map((i: any) => i.number).join(';'),
        invoiceStatuses: o.invoices.map((i: any) => i.status).join(';'),
      }));
      // Orders are paged per status in parallel: compare by order number, and every order is there once.
      const byNumber = new Map(rows.map((r) => [r.number, r]));
      expect(byNumber.size).toBe(rows.length);
      expect(expected.map((e: { number: string }) => byNumber.get(e.number))).toEqual(expected);
      expect(rows.some((r) => r.invoiceNumbers !== '' && r.customerName !== '')).toBe(true);
    });

    it('streams NDJSON orders created since a date, and refuses an unknown export with 400', async () => {
      const all = await stack.gql(`{ salesOrders(first: 100) { nodes { number createdAt } } }`);
      const since = all.data.salesOrders.nodes[20].createdAt as string;
      const response = await fetch(`${exportUrl('orders.ndjson')}?since=${encodeURIComponent(since)}`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      const rows = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { number: string; createdAt: string });
      // The newest-first page holds every order at or after its 21st order's date, so it names exactly the rows expected.
      const expected = all.data.salesOrders.nodes.filter((o: { createdAt: string }) => Date.parse(o.createdAt) >= Date.parse(since)).map((o: { number: string }) => o.number);
      expect(rows.map((r) => r.number).sort()).toEqual(expected.sort());
      const unknown = await fetch(exportUrl('stock.csv'), { headers: { authorization: `Bearer ${adminToken}` } });
      expect(unknown.status).toBe(400);
    });

    it('exports customers and invoices with the CLI, columns equal to the API, and refuses --since for customers', async () => {
      const customersFile = path.join(dir, 'customers.csv');
      const run = cli('export', ['customers', '--out', customersFile]);
      expect(run.stderr).toMatch(/exported \d+ customers rows/);
      expect(run.status).toBe(0);
      const customers = parse(readFileSync(customersFile, 'utf8'), { columns: true }) as Record<string, string>[];
      const { data } = await stack.gql(
        `{ customers(first: 100) { totalCount nodes { id name email industry country crmAccountId erpCustomerNo sync { state } creditLimit { amount currency } openBalance { amount currency } paymentTerms } } }`,
      );
      expect(customers).toHaveLength(data.customers.totalCount);
      expect(customers.slice(0, 100)).toEqual(
        data.customers.nodes.map((c: any) => ({
          id: c.id,
          name: c.name,
          email: c.email ?? '',
          industry: c.industry ?? '',
          country: c.country ?? '',
          crmAccountId: c.crmAccountId ?? '',
          erpCustomerNo: c.erpCustomerNo ?? '',
          syncState: c.sync.state,
          creditLimit: c.creditLimit?.amount ?? '',
          openBalance: c.openBalance.amount,
          currency: c.creditLimit?.currency ?? c.openBalance.currency,
          paymentTerms: c.paymentTerms ?? '',
        })),
      );

      const invoicesFile = path.join(dir, 'invoices.ndjson');
      expect(cli('export', ['invoices', '--since', '2000-01-01', '--out', invoicesFile]).status).toBe(0);
      const invoices = readFileSync(invoicesFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      const first = data.customers.nodes.find((c: any) => c.erpCustomerNo);
      const api = await stack.gql(`query($id: ID!) { customer(id: $id) { invoices { number status total { amount currency } amountDue { amount } dueDate salesOrder { number } } } }`, { id: first.id });
      const exported = invoices.filter((i) => i.customerId === first.id);
      expect(exported).toEqual(
        api.data.customer.invoices.map((i: any) => ({
          number: i.number,
          status: i.status,
          total: i.total.amount,
          amountDue: i.amountDue.amount,
          currency: i.total.currency,
          dueDate: i.dueDate,
          salesOrderNumber: i.salesOrder?.number ?? null,
          customerId: first.id,
          customerName: first.name,
          crmAccountId: first.crmAccountId,
          erpCustomerNo: first.erpCustomerNo,
        })),
      );

      const refused = cli('export', ['customers', '--since', '2026-01-01']);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('customers carry no date in the API');
    });

    it('imports customers with the CLI through the backends, and a re-import creates nothing new', async () => {
      const input = path.join(dir, 'new-customers.csv');
      writeFileSync(input, 'key,name,email,country,creditLimit,paymentTerms\nE2E-1,Omikron Import GmbH,omikron@import.example,DE,7500.00,NET30\nE2E-2,Pi Import,bad-email,DE,,\n');
      const first = cli('import', ['customers', input]);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/read\s+2\n\s+created\s+1\n\s+updated\s+0\n\s+unchanged\s+0\n\s+rejected\s+1 \(see .*new-customers\.csv\.rejects\.csv\)/);
      expect(readFileSync(`${input}.rejects.csv`, 'utf8')).toBe('line,reason,key,name,email,country,creditLimit,paymentTerms\n3,email: must be an email address,E2E-2,Pi Import,bad-email,DE,,\n');

      const again = cli('import', ['customers', input]);
      expect(again.stdout).toMatch(/created\s+0\n\s+updated\s+0\n\s+unchanged\s+1\n/);

      // The account is the CRM's: the API finds it by name, with the ERP's credit limit once both are linked.
      const found = await stack.gql(`{ customers(first: 10, search: "Omikron Import") { nodes { name email crmAccountId } } }`);
      expect(found.data.customers.nodes.filter((c: any) => c.crmAccountId).map((c: any) => [c.name, c.email])).toEqual([['Omikron Import GmbH', 'omikron@import.example']]);
    });
  });
}
