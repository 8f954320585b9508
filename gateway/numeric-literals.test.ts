import { parse } from 'graphql';
import { checkNumericInputs } from './numeric-literals';

describe('numeric inputs', () => {
  it('refuses literals and variables no double can hold with BAD_USER_INPUT and HTTP 400', () => {
    const refuse = (query: string, variables?: Record<string, unknown>) => {
      try {
        checkNumericInputs(parse(query), variables);
      } catch (error) {
        return (error as { extensions: Record<string, unknown> }).extensions;
      }
      return undefined;
    };
    expect(refuse('mutation { recordPayment(invoiceId: "1", amount: 1e400) { id } }')).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    expect(refuse('mutation { createCustomer(input: { name: "x", creditLimit: -1e999 }) { id } }')?.code).toBe('BAD_USER_INPUT');
    expect(refuse('query ($a: Decimal) { x(a: $a) }', { a: JSON.parse('{"v": 1e400}') })?.code).toBe('BAD_USER_INPUT');
    expect(refuse('mutation { recordPayment(invoiceId: "1", amount: 12.5) { id } products(first: 10) { totalCount } }', { a: 1.5 })).toBeUndefined();
  });

  it('refuses a bad literal every time its document is sent, and checks the variables of each request', () => {
    const outOfRange = parse('mutation { recordPayment(invoiceId: "1", amount: 1e400) { id } }');
    expect(() => checkNumericInputs(outOfRange, undefined)).toThrow('out of range');
    expect(() => checkNumericInputs(outOfRange, undefined)).toThrow('out of range');
    const fine = parse('query ($a: Decimal) { x(a: $a) }');
    expect(() => checkNumericInputs(fine, { a: 1.5 })).not.toThrow();
    expect(() => checkNumericInputs(fine, { a: JSON.parse('1e400') })).toThrow('out of range');
  });
});
