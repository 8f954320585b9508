import { buildTestGateway, postGraphql, TEST_SECRETS, testToken } from './test-support/test-gateway';
import { type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

// With an Apollo key in the environment, Apollo Server installs usage reporting by itself and
// sends its reports with the global fetch (at the latest when it stops).
describe('usage reporting to Apollo GraphOS', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  const saved = { APOLLO_KEY: process.env.APOLLO_KEY, APOLLO_GRAPH_REF: process.env.APOLLO_GRAPH_REF };
  let sentTo: string[];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    process.env.APOLLO_KEY = 'service:erp-crm-test:0123456789abcdef';
    process.env.APOLLO_GRAPH_REF = 'erp-crm-test@current';
  });
  beforeEach(() => {
    sentTo = [];
    globalThis.fetch = (async (input: string | URL | Request) => {
      sentTo.push(String(input instanceof Request ? input.url : input));
      return new Response(null, { status: 204 });
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await crm.close();
    await erp.close();
  });

  async function runOneQueryAndStop(env: Record<string, string>): Promise<void> {
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, env });
    const response = await postGraphql(gateway, { query: '{ customers { id } }' }, { authorization: `Bearer ${await testToken({ role: 'admin' })}` });
    expect(response.body.data.customers).toHaveLength(2);
    await gateway.close();
  }

  it('sends nothing by default, even with APOLLO_KEY and APOLLO_GRAPH_REF set', async () => {
    await runOneQueryAndStop({});
    expect(sentTo.filter((url) => url.includes('apollographql.com'))).toEqual([]);
  });

  it('reports only when APOLLO_USAGE_REPORTING=true', async () => {
    await runOneQueryAndStop({ APOLLO_USAGE_REPORTING: 'true' });
    expect(sentTo.some((url) => url.startsWith('https://usage-reporting.api.apollographql.com'))).toBe(true);
  });
});
