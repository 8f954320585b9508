import { parse } from 'csv-parse/sync';
import { AppError, ErrorCode } from '../errors';
import { EXPORT_PAGE_SIZE, exportDefinition } from './export-kinds';
import { type GraphqlAnswer, exportChunks } from './exporter';

const STATUSES = exportDefinition('orders').partitions!.map((p) => p.status as string);

/** Orders of one status, newest first, as the API pages them. */
function ordersOf(status: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    number: `SO-${status}-${String(i).padStart(4, '0')}`,
    status,
    createdAt: new Date(Date.UTC(2026, 0, 1) - i * 60_000).toISOString(),
    total: { amount: '10.00', currency: 'EUR' },
    customer: { id: 'crm:1', name: 'Acme', crmAccountId: '1', erpCustomerNo: 'C-1' },
    opportunity: null,
    invoices: [],
  }));
}

/**
 * A fake API over `counts` orders per status that records every page request and answers each
 * only when the test lets it (or at once with `autoAnswer`).
 */
function fakeApi(counts: Record<string, number>, autoAnswer = true) {
  const lists = new Map(STATUSES.map((s) => [s, ordersOf(s, counts[s] ?? 0)]));
  const requests: { status: string; offset: number; answer: () => void }[] = [];
  const execute = (_query: string, variables: Record<string, unknown>): Promise<GraphqlAnswer> => {
    const status = variables.status as string;
    const offset = variables.after ? Number(variables.after) : 0;
    expect(variables.first).toBe(EXPORT_PAGE_SIZE);
    const list = lists.get(status)!;
    const nodes = list.slice(offset, offset + EXPORT_PAGE_SIZE);
    const end = offset + nodes.length;
    const answer: GraphqlAnswer = { data: { salesOrders: { totalCount: list.length, pageInfo: { hasNextPage: end < list.length, endCursor: String(end) }, nodes } } };
    return new Promise((resolve) => {
      const request = { status, offset, answer: () => resolve(answer) };
      requests.push(request);
      if (autoAnswer) request.answer();
    });
  };
  return { execute, requests };
}

async function collect(chunks: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('exportChunks', () => {
  it('writes every order once, each status newest first, under one CSV header', async () => {
    const counts = { PAID: 250, DRAFT: 3, SHIPPED: 100, INVOICED: 101 };
    const { execute } = fakeApi(counts);
    const rows = parse(await collect(exportChunks(execute, { kind: 'orders', format: 'csv' })), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(454);
    expect(Object.keys(rows[0])).toEqual(exportDefinition('orders').columns);
    for (const [status, count] of Object.entries(counts)) {
      expect(rows.filter((r) => r.status === status).map((r) => r.number)).toEqual(ordersOf(status, count).map((o) => o.number));
    }
  });

  it('asks for the next page of a status before the current one is written, never two ahead', async () => {
    const { execute, requests } = fakeApi({ PAID: 300 }, false);
    const chunks = exportChunks(execute, { kind: 'orders', format: 'ndjson' });
    const pending = chunks.next();
    await new Promise((r) => setImmediate(r));
    // One first page per status, all at once.
    expect(requests.map((r) => r.status).sort()).toEqual([...STATUSES].sort());
    for (const request of requests.filter((r) => r.status !== 'PAID')) request.answer();
    requests.find((r) => r.status === 'PAID')!.answer();
    const first = await pending;
    expect(first.value.split('\n')[0]).toContain('SO-PAID-0000');
    // The page at offset 100 is already on its way while the consumer still holds page 0...
    const paid = () => requests.filter((r) => r.status === 'PAID').map((r) => r.offset);
    expect(paid()).toEqual([0, 100]);
    await new Promise((r) => setImmediate(r));
    // ...and nothing further is asked until that page has been answered.
    expect(paid()).toEqual([0, 100]);
    const second = chunks.next();
    requests[requests.length - 1].answer();
    expect((await second).value.split('\n')[0]).toContain('SO-PAID-0100');
    expect(paid()).toEqual([0, 100, 200]);
    requests[requests.length - 1].answer();
    expect((await chunks.next()).value.split('\n')[0]).toContain('SO-PAID-0200');
    expect((await chunks.next()).done).toBe(true);
  });

  it('stops with the API error code instead of writing an export that misses rows', async () => {
    const execute = async (): Promise<GraphqlAnswer> => ({ data: null, errors: [{ message: 'not allowed', extensions: { code: 'FORBIDDEN' } }] });
    const failure = collect(exportChunks(execute, { kind: 'orders', format: 'csv' }));
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
  });
});
