import { AppError } from './errors';
import { callerScopedKey } from './idempotency';
import { requireInputFieldRoles } from './input-field-roles';

const RULES = { 'CustomerInput.creditLimit': ['finance', 'admin'], 'CustomerInput.name': ['sales', 'admin'] };
const as = (role: string) => ({ sub: `u-${role}`, role, customerId: null });

describe('input field roles', () => {
  it('refuses every field the role may not set, null included, naming them', () => {
    let refused: unknown;
    try {
      requireInputFieldRoles(as('sales'), 'CustomerInput', { name: 'A', creditLimit: null }, RULES);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'FORBIDDEN', details: { fields: ['input.creditLimit'] } });
    expect(() => requireInputFieldRoles(as('finance'), 'CustomerInput', { name: 'B' }, RULES)).toThrow(/input\.name/);
  });

  it('lets a permitted role, an omitted field and an internal caller through', () => {
    expect(() => requireInputFieldRoles(as('finance'), 'CustomerInput', { creditLimit: '10.00' }, RULES)).not.toThrow();
    expect(() => requireInputFieldRoles(as('sales'), 'CustomerInput', { name: 'A', creditLimit: undefined }, RULES)).not.toThrow();
    expect(() => requireInputFieldRoles(null, 'CustomerInput', { creditLimit: '1.00' }, RULES)).not.toThrow();
  });
});

describe('caller-scoped idempotency keys', () => {
  it('differ per caller and per operation, are stable, and refuse blank or long keys', () => {
    const a = callerScopedKey('recordPayment', 'anna', 'k-1');
    expect(callerScopedKey('recordPayment', 'anna', ' k-1 ')).toBe(a);
    expect(callerScopedKey('recordPayment', 'ben', 'k-1')).not.toBe(a);
    expect(callerScopedKey('openCase', 'anna', 'k-1')).not.toBe(a);
    expect(callerScopedKey('recordPayment', 'anna', null)).toBeUndefined();
    expect(() => callerScopedKey('recordPayment', 'anna', '  ')).toThrow(/idempotencyKey/);
    expect(() => callerScopedKey('recordPayment', 'anna', 'x'.repeat(201))).toThrow(/idempotencyKey/);
    expect(a!.length).toBeLessThan(255);
  });
});
