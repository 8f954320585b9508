import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import { HttpCrmConnector } from '../../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../../connectors/erp/http-erp.connector';
import { loadOrCreateLocalSecrets } from '../../platform/secrets';
import { serviceTokenSigner } from '../../platform/service-auth';
import { OrderFlowDriver } from '../../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { signToken } from '../../scripts/token';
import { type TestStack, startTestStack } from '../../test-support/stack';

/** Where the screenshots of every page go (committed; the README shows them). */
const SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

/** Debian's chromium (installed by .ci/run), or CHROMIUM_PATH. */
function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const chromiumPath = findChromium();
const built = existsSync(path.resolve(__dirname, '../../console/dist/index.html'));
const missing = !chromiumPath ? 'chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)' : !built ? 'the console is not built (npm run console:build)' : null;
if (missing && process.env.CI !== 'true') console.log(`console browser tests skipped: ${missing}`);
const suite = missing && process.env.CI !== 'true' ? describe.skip : describe;

// A smaller demo book than `npm start` seeds: the stack comes up faster on a busy machine.
const DEMO_SCALE = { customers: 80, salesOrders: 300, opportunities: 80 };
const dataset = buildDemoDataset(DEMO_SCALE);
const stockOf = (sku: string) => dataset.erp.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
const BOUGHT = dataset.erp.products.find((p) => !p.manufactured && stockOf(p.sku) >= 50)!;

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The text of the element that has the keyboard focus, read in the page. */
const focusedText = () => (globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } }).document.activeElement?.textContent;

suite('the operations console in Chromium against a running stack', () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let driver: OrderFlowDriver;
  let adminToken: string;
  let failedFlowId: string;
  let heldFlowId: string;
  let conflictCustomerId: string;
  let crm: HttpCrmConnector;
  let erp: HttpErpConnector;
  const pageErrors: string[] = [];
  let keyNo = 0;
  const key = () => `console-${Date.now()}-${++keyNo}`;

  /** Serious and critical accessibility violations on the page as it is now (axe-core in the page). */
  async function axeViolations(): Promise<string[]> {
    // The page's code runs in the browser: `globalThis` there is the window.
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const results = await page.evaluate(async () => {
      const inPage = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
      const { violations } = await inPage.axe.run(inPage.document, { resultTypes: ['violations'] });
      return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`);
  }

  /** A screenshot of the page at desktop and at phone width, and no serious accessibility violation at either. */
  async function capture(name: string): Promise<void> {
    await page.setViewportSize(DESKTOP);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
    expect(await axeViolations()).toEqual([]);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    expect(await axeViolations()).toEqual([]);
    await page.setViewportSize(DESKTOP);
  }

  async function nav(label: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label }).click();
  }

  beforeAll(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Transient failures retried for three seconds only: a backend that is away fails the flow quickly.
    const started = await startTestStack('pglite', {
      readyTimeoutMs: 420_000,
      env: {
        FLOW_RETRY_WINDOW_MS: '3000',
        FLOW_RETRY_BASE_MS: '200',
        FLOW_POLL_MS: '1000',
        DEMO_SCALE_CUSTOMERS: String(DEMO_SCALE.customers),
        DEMO_SCALE_ORDERS: String(DEMO_SCALE.salesOrders),
        DEMO_SCALE_OPPORTUNITIES: String(DEMO_SCALE.opportunities),
      },
    });
    if (!started) throw new Error('the embedded stack did not start');
    stack = started;
    driver = new OrderFlowDriver((query, variables, options) => stack.gql(query, variables, options), { timeoutMs: 120_000 });
    adminToken = await signToken({ secret: loadOrCreateLocalSecrets(stack.dataDir).jwtSecret, role: 'admin', sub: 'console-browser-test' });
    const serviceToken = serviceTokenSigner(loadOrCreateLocalSecrets(stack.dataDir).internalSecret, 'browser-test');
    crm = new HttpCrmConnector({ baseUrl: stack.urls['crm-backend'], serviceToken });
    erp = new HttpErpConnector({ baseUrl: stack.urls['erp-backend'], serviceToken });

    // Some history for the overview: two completed flows and one the credit check refused.
    const customer = await stack.gql(`mutation { createCustomer(input: { name: "Console Works GmbH", country: "DE", creditLimit: "90000000.00", paymentTerms: "NET30" }) { id erpCustomerNo } }`);
    expect(customer.errors).toBeUndefined();
    const customerId = customer.data.createCustomer.id as string;
    const done = await Promise.all([1, 2].map(async (n) => driver.driveToEnd((await driver.placeOrder(customerId, [{ sku: BOUGHT.sku, quantity: n }], key())).id)));
    expect(done.map((f) => f.status)).toEqual(['COMPLETED', 'COMPLETED']);
    const tight = await stack.gql(`mutation { createCustomer(input: { name: "Tight Credit Ltd", country: "GB", creditLimit: "1.00", paymentTerms: "NET30" }) { id } }`);
    expect(tight.errors).toBeUndefined();
    const refused = await driver.placeOrder(tight.data.createCustomer.id, [{ sku: BOUGHT.sku, quantity: 5 }], key());
    await driver.until(refused.id, (f) => f.status === 'WAITING' && f.steps.some((s) => s.name === 'check-credit' && s.status === 'WAITING'));
    const rejected = await stack.gql(`mutation ($id: ID!) { rejectOrderCredit(id: $id, reason: "no credit for new accounts") { id } }`, { id: refused.id }, { role: 'finance' });
    expect(rejected.errors).toBeUndefined();
    expect((await driver.until(refused.id, (f) => f.status === 'COMPENSATED')).error).toMatch(/CREDIT_LIMIT_EXCEEDED|credit/i);
    // One more over the limit, left for finance to decide in the console.
    heldFlowId = (await driver.placeOrder(tight.data.createCustomer.id, [{ sku: BOUGHT.sku, quantity: 2 }], key())).id;
    await driver.until(heldFlowId, (f) => f.status === 'WAITING' && f.steps.some((s) => s.name === 'check-credit' && s.status === 'WAITING'));

    // A failed flow: the CRM is away when the sales order is written (its milestone activity cannot be logged).
    await stack.stopService('crm-backend');
    const failing = await driver.placeOrder(customerId, [{ sku: BOUGHT.sku, quantity: 3 }], key());
    failedFlowId = failing.id;
    const failed = await driver.until(failing.id, (f) => f.status === 'FAILED');
    expect(failed.steps.find((s) => s.status === 'FAILED')?.name).toBe('create-sales-order');
    stack.startService('crm-backend');
    await stack.waitUntilReady(120_000);

    // A sync conflict: the CRM owns the email; the ERP changes it as well.
    const account = await crm.createAccount({ name: 'Console Conflict AB', email: 'info@console-conflict.example', country: 'SE' });
    const [pair] = await until(async () => {
      const found = await erp.findCustomersByExternalRefs([account.id]);
      return found.length > 0 && found;
    }, 'the ERP customer of the new account');
    await until(async () => (await crm.getAccounts([account.id]))[0].erpCustomerNo === pair.customerNo, 'the link written back to the CRM');
    await erp.updateCustomer(pair.customerNo, { email: 'billing@console-conflict.example' });
    conflictCustomerId = `crm:${account.id}`;
    await until(async () => (await stack.gql(`query ($id: ID!) { customer(id: $id) { sync { state } } }`, { id: conflictCustomerId })).data?.customer.sync.state === 'CONFLICT', 'the conflict');

    browser = await chromium.launch({
      executablePath: chromiumPath!,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, baseURL: new URL(stack.graphqlUrl).origin });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) pageErrors.push(message.text());
    });
  }, 900_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all([crm?.close(), erp?.close()]);
    await stack?.dispose();
  }, 120_000);

  it('signs in with a token from the token command and shows the overview with charts', async () => {
    await page.goto('/console');
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await capture('sign-in');
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not a token of this API').waitFor();
    await page.getByLabel('Token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Charts are drawn by the charting library once the flows are read.
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await expect(page.locator('.kpi-bad .kpi-value').textContent()).resolves.toBe('1');
    await capture('overview');
  });

  it('is keyboard navigable: the skip link and the navigation answer Tab and Enter', async () => {
    await page.goto('/console');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(focusedText)).resolves.toBe('Skip to content');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate(focusedText)) === 'Order flows';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Order flows' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/flows');
  });

  it('finds the failed flow at the top, shows why in words, retries it after confirmation and sees it complete', async () => {
    const streams: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql' && /text\/event-stream/.test(request.headers().accept ?? '')) streams.push(request.postData() ?? '');
    });
    await page.goto('/console/flows');
    const attention = page.getByRole('region', { name: /Needs attention/ });
    await attention.getByText('Failed').first().waitFor();
    await capture('flows');
    await attention.getByRole('row').filter({ hasText: 'Failed' }).getByRole('link').first().click();
    await page.getByText('Why it failed:').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/flows/${failedFlowId}`);
    await expect(page.locator('.timeline-failed').getByText('Sales order').isVisible()).resolves.toBe(true);
    await expect(page.locator('.timeline-failed .timeline-meta').textContent()).resolves.toMatch(/\d+ attempts/); // as many as the retry window (3 s here) allowed
    await capture('flow-failed');

    await page.getByRole('button', { name: 'Retry flow' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this order flow?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Retry now' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // The warehouse and finance do their part through the API; the page follows by polling.
    const ended = await driver.driveToEnd(failedFlowId);
    expect(ended.status).toBe('COMPLETED');
    await page.locator('.page-header .badge', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
    await page.getByRole('region', { name: 'Invoices' }).getByText('Paid').waitFor();
    await capture('flow-completed');
    // Both pages followed the flows live (graphql-sse), not by polling alone.
    expect(streams.some((body) => body.includes('ConsoleFlowsUpdated'))).toBe(true);
    expect(streams.some((body) => body.includes('ConsoleFlowUpdated') && body.includes(failedFlowId))).toBe(true);
  });

  it('lists the order waiting for a credit decision, shows the review and rejects it with a reason', async () => {
    await page.goto('/console/flows');
    const waiting = page.getByRole('region', { name: /Waiting for your credit decision/ });
    await waiting.getByRole('row').filter({ hasText: 'Tight Credit Ltd' }).getByRole('link').first().click();
    expect(new URL(page.url()).pathname).toBe(`/console/flows/${heldFlowId}`);
    const review = page.getByRole('region', { name: 'Credit review' });
    await review.getByText('waits for finance').waitFor();
    await expect(review.getByText('1.00').first().isVisible()).resolves.toBe(true);
    await capture('flow-credit-review');
    await expect(review.getByRole('button', { name: 'Reject credit' }).isDisabled()).resolves.toBe(true);
    await review.getByLabel(/Note or reason/).fill('no credit for new accounts');
    await review.getByRole('button', { name: 'Reject credit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject this order?' });
    await dialog.getByRole('button', { name: 'Reject the order' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const ended = await driver.until(heldFlowId, (f) => f.status === 'COMPENSATED');
    expect(ended.error).toMatch(/^CREDIT_LIMIT_EXCEEDED: finance rejected the order: .*no credit for new accounts/);
    await page.locator('.page-header .badge', { hasText: 'Compensated' }).waitFor({ timeout: 30_000 });
    await review.getByText('Rejected').waitFor();
  });

  it('shows the conflict side by side with the rule, and resolves it with the ERP value', async () => {
    await nav('Sync & data quality');
    await page.getByRole('heading', { name: 'Sync & data quality' }).waitFor();
    await page.getByRole('button', { name: 'Run reconciliation' }).click();
    const card = page.getByRole('article', { name: 'Console Conflict AB: email' });
    await card.waitFor({ timeout: 60_000 });
    await expect(card.locator('[data-label="CRM value"]').textContent()).resolves.toBe('info@console-conflict.example');
    await expect(card.locator('[data-label="ERP value"]').textContent()).resolves.toBe('billing@console-conflict.example');
    await expect(card.locator('[data-label="Owner"]').textContent()).resolves.toBe('CRM');
    await expect(card.getByText('the CRM owns email').isVisible()).resolves.toBe(true);
    await card.scrollIntoViewIfNeeded();
    await capture('sync');

    await card.getByRole('button', { name: 'Use the ERP value for email' }).click();
    const dialog = page.getByRole('dialog', { name: 'Use the ERP value for email?' });
    await dialog.getByRole('button', { name: 'Use the ERP value' }).click();
    await until(async () => {
      const answer = await stack.gql(`query ($id: ID!) { customer(id: $id) { email sync { state } } }`, { id: conflictCustomerId });
      return answer.data?.customer.sync.state === 'IN_SYNC' && answer.data.customer.email === 'billing@console-conflict.example';
    }, 'the conflict resolved');
    // A reconciliation reads both systems whole; on a loaded machine one may time out, so ask again.
    let gone = false;
    for (let attempt = 1; attempt <= 4 && !gone; attempt++) {
      await page.getByRole('button', { name: 'Run reconciliation' }).click({ timeout: 120_000 });
      gone = await card.waitFor({ state: 'detached', timeout: 30_000 }).then(
        () => true,
        () => false,
      );
    }
    if (!gone) await page.screenshot({ path: path.join(tmpdir(), 'console-conflict-still-shown.png'), fullPage: true });
    expect(gone).toBe(true);

    await page.getByRole('button', { name: /Possible duplicates/ }).click();
    await page.getByRole('table').filter({ hasText: 'Possible duplicates:' }).waitFor();
    await capture('data-quality');
  });

  it('imports a small CSV with a progress bar and a downloadable rejects file, and exports', async () => {
    await nav('Import & export');
    await page.getByRole('heading', { name: 'Import & export' }).waitFor();
    const csv = ['key,name,email,country', 'console-imp-1,Imported One GmbH,one@imported.example,DE', 'console-imp-2,Imported Two AB,not-an-email,SE', 'console-imp-3,Imported Three SA,three@imported.example,FR'].join('\n');
    await page.getByLabel('File (.csv or .ndjson)').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(`${csv}\n`) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(/Imported customers: 3 read, 2 created/).waitFor({ timeout: 60_000 });
    await expect(page.getByRole('progressbar', { name: 'Upload' }).getAttribute('aria-valuenow')).resolves.toBe('100');
    await expect(page.getByRole('progressbar', { name: 'Rows written' }).getAttribute('aria-valuenow')).resolves.toBe('100');
    const [rejects] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the rejected rows' }).click()]);
    const rejectsText = readFileSync((await rejects.path())!, 'utf8');
    expect(rejectsText.split('\n')[0]).toBe('line,reason,key,name,email,country');
    expect(rejectsText).toMatch(/^3,email: must be an email address,console-imp-2,/m);
    const imported = await stack.gql(`{ customers(first: 5, search: "Imported One GmbH") { nodes { name email } } }`);
    expect(imported.data.customers.nodes).toContainEqual({ name: 'Imported One GmbH', email: 'one@imported.example' });
    await capture('import-export');

    await page.getByLabel('What', { exact: true }).last().selectOption('customers');
    const [exported] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export and download' }).click()]);
    const exportText = readFileSync((await exported.path())!, 'utf8');
    expect(exportText.split('\n')[0]).toMatch(/^id,name,email,industry,country,crmAccountId,erpCustomerNo,syncState/);
    expect(exportText).toContain('Imported One GmbH');
  });

  it('the explorer runs a query from local assets with the token header preloaded', async () => {
    const external: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol.startsWith('http')) external.push(request.url());
    });
    // A browser opening the API's own URL lands on the explorer.
    await page.goto('/graphql');
    expect(new URL(page.url()).pathname).toBe('/explorer');
    await page.locator('.graphiql-container').waitFor();
    // The README's examples are open as tabs; run the failed-flows one.
    const editor = page.locator('.graphiql-query-editor');
    await editor.getByText('query Customer360').waitFor();
    await page.locator('.graphiql-tab-button', { hasText: 'FailedFlows' }).click();
    await editor.getByText('query FailedFlows').waitFor();
    // GraphiQL takes the operation's name from the editor a moment after a tab switch: run until
    // the answer is the failed-flows one (a run in that moment names the previous tab's operation).
    const response = page.locator('.graphiql-response');
    for (let attempt = 1; ; attempt++) {
      await page.getByRole('button', { name: /Execute query/ }).click();
      const answered = await response.getByText('"orderFlows"').waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (answered) break;
      if (attempt === 6) throw new Error(`the explorer did not run FailedFlows: ${await response.textContent()}`);
    }
    await page.getByRole('button', { name: /Show Documentation Explorer/ }).click();
    await page.locator('.graphiql-doc-explorer').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer-desktop.png') });
    await expect(page.locator('.graphiql-doc-explorer').textContent()).resolves.toMatch(/Query/);
    await expect(page.locator('.graphiql-doc-explorer').textContent()).resolves.not.toMatch(/Error fetching schema/);
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer').getByText('customers').first().waitFor();
    expect(external).toEqual([]);
  });

  it('raised no script error and no Content-Security-Policy refusal on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
