import { readFileSync } from 'node:fs';
import { parse, print, validate } from 'graphql';
import { SUPERGRAPH_PATH } from '../scripts/compose';
import { applyRefusals } from './authorization/answer-refusals';
import { apiSchemaOf, isAllowed, readFieldScopes } from './authorization/field-scopes';
import { PLACEHOLDER_KEY, authorizeDocument } from './authorization/operation-pruning';

const supergraph = readFileSync(SUPERGRAPH_PATH, 'utf8');
const schema = apiSchemaOf(supergraph);
const scopes = readFieldScopes(supergraph);

function authorize(query: string, role: string, variables: Record<string, unknown> = {}, operationName?: string) {
  const result = authorizeDocument(schema, scopes, parse(query), operationName, new Set([role]), variables);
  if (!result) throw new Error('operation not chosen');
  return result;
}

describe('field rules read from the supergraph', () => {
  it('carries the declared scopes of money, operations and admin fields', () => {
    expect(scopes.fields.get('Customer.openBalance')).toEqual([['finance'], ['admin']]);
    expect(scopes.fields.get('Mutation.confirmShipment')).toEqual([['operations'], ['admin']]);
    expect(scopes.fields.get('Mutation.runReconciliation')).toEqual([['admin']]);
    expect(scopes.fields.get('Query.auditLog')).toEqual([['admin']]);
    expect(scopes.fields.get('Query.products')).toBeUndefined();
  });

  it('allows a role in any one of the alternatives', () => {
    expect(isAllowed([['finance'], ['admin']], new Set(['admin']))).toBe(true);
    expect(isAllowed([['finance'], ['admin']], new Set(['sales']))).toBe(false);
    expect(isAllowed(undefined, new Set(['partner']))).toBe(true);
  });
});

describe('removing refused fields from an operation', () => {
  it('leaves an operation a role may fully see unchanged', () => {
    const result = authorize('{ customer(id: "crm:1") { name openBalance } }', 'finance');
    expect(result.changed).toBe(false);
    expect(result.outcome.refused).toEqual([]);
  });

  it('removes a refused field, keeps the rest and reports its path under its alias', () => {
    const result = authorize('{ customer(id: "crm:1") { name balance: openBalance { amount } creditLimit { amount } } }', 'sales');
    expect(print(result.document)).not.toMatch(/openBalance|creditLimit/);
    expect(print(result.document)).toMatch(/name/);
    expect(result.outcome.refused.map((r) => r.path)).toEqual([
      ['customer', 'balance'],
      ['customer', 'creditLimit'],
    ]);
    expect(validate(schema, result.document)).toEqual([]);
  });

  it('refuses a field inside a fragment at every place the fragment is spread, and drops unused variables', () => {
    const query = `
      query Orders($status: InvoiceStatus, $id: ID!) {
        first: salesOrder(id: $id) { ...Money }
        second: salesOrders(first: 2) { nodes { ...Money } }
      }
      fragment Money on SalesOrder { number customer { invoices(status: $status) { number } } }
    `;
    const result = authorize(query, 'sales', { id: 'so-1' });
    expect(result.outcome.refused.map((r) => r.path)).toEqual([
      ['first', 'customer', 'invoices'],
      ['second', 'nodes', 'customer', 'invoices'],
    ]);
    const printed = print(result.document);
    expect(printed).not.toContain('$status');
    expect(printed).toContain('$id');
    expect(validate(schema, result.document)).toEqual([]);
  });

  it('fills a selection set left empty with a placeholder so the document stays valid', () => {
    const result = authorize('mutation Pay { recordPayment(invoiceId: "inv-1", amount: "10.00") { id } }', 'sales');
    expect(print(result.document)).toContain(`${PLACEHOLDER_KEY}: __typename`);
    expect(result.outcome.refused).toEqual([{ path: ['recordPayment'], coordinate: 'Mutation.recordPayment', ids: ['inv-1'], types: [schema.getMutationType()!.getFields().recordPayment.type] }]);
    expect(validate(schema, result.document)).toEqual([]);
  });

  it('drops a fragment only a refused field spread', () => {
    const result = authorize('{ opportunities { nodes { id } } products(first: 1) { nodes { sku } } } fragment O on Opportunity { id }', 'partner');
    expect(result.outcome.refused.map((r) => r.path)).toEqual([['opportunities']]);
    expect(print(result.document)).not.toContain('fragment O');
  });
});

describe('writing refusals into the answer', () => {
  it('puts a FORBIDDEN error at each concrete path, through lists, nulls the nearest nullable position, and removes placeholders', () => {
    // SalesOrder.invoices is [Invoice!]!: the null lands on the order, a nullable root field.
    const { outcome } = authorize('{ salesOrder(id: "so-1") { number invoices { number } } customers(first: 2) { nodes { id creditLimit { amount } } } }', 'sales');
    const data: Record<string, unknown> = {
      salesOrder: { number: 'SO-1' },
      customers: { nodes: [{ id: 'c1' }, { id: 'c2' }] },
    };
    const result = applyRefusals(data, outcome);
    expect(result.data).toEqual({ salesOrder: null, customers: { nodes: [{ id: 'c1', creditLimit: null }, { id: 'c2', creditLimit: null }] } });
    expect(result.errors.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['salesOrder', 'invoices'], 'FORBIDDEN'],
      [['customers', 'nodes', 0, 'creditLimit'], 'FORBIDDEN'],
      [['customers', 'nodes', 1, 'creditLimit'], 'FORBIDDEN'],
    ]);
  });

  it('removes the placeholder of a selection set left empty', () => {
    const { outcome } = authorize('{ customer(id: "crm:1") { creditLimit { amount } } }', 'sales');
    const result = applyRefusals({ customer: { [PLACEHOLDER_KEY]: 'Customer' } }, outcome);
    expect(result.data).toEqual({ customer: { creditLimit: null } });
  });

  it('nulls a nullable parent of a refused non-null field and keeps its siblings', () => {
    const { outcome } = authorize('{ customer(id: "crm:1") { name openBalance { amount } } products(first: 1) { nodes { sku } } }', 'sales');
    const result = applyRefusals({ customer: { name: 'Acme' }, products: { nodes: [{ sku: 'P1' }] } }, outcome);
    expect(result.data).toEqual({ customer: null, products: { nodes: [{ sku: 'P1' }] } });
    expect(result.errors.map((e) => e.path)).toEqual([['customer', 'openBalance']]);
  });

  it('nulls the whole data when no position above a refused non-null field may be null', () => {
    const { outcome } = authorize('{ customers(first: 1) { nodes { openBalance { amount } } } }', 'sales');
    const result = applyRefusals({ customers: { nodes: [{ [PLACEHOLDER_KEY]: 'Customer' }] } }, outcome);
    expect(result.data).toBeNull();
    expect(result.errors.map((e) => e.path)).toEqual([['customers', 'nodes', 0, 'openBalance']]);
  });

  it('skips a path whose parent is null', () => {
    const { outcome } = authorize('{ salesOrder(id: "so-1") { invoices { number } } }', 'sales');
    const result = applyRefusals({ salesOrder: null }, outcome);
    expect(result).toEqual({ data: { salesOrder: null }, errors: [] });
  });
});
