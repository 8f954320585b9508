import { customerId, parseCustomerId, tryParseCustomerId } from './customer-id';
import { formatAmount, parseDecimal, sumAmounts } from './money';
import { decodeCursor, encodeCursor, pageSize } from './pagination';

describe('money', () => {
  it('adds decimal strings exactly', () => {
    expect(formatAmount(sumAmounts(['0.10', '0.20', '19.99', '19.99', '19.99']))).toBe('60.27');
  });

  it('refuses floats in disguise and too many fraction digits', () => {
    expect(() => parseDecimal('1e3')).toThrow(RangeError);
    expect(() => parseDecimal('NaN')).toThrow(RangeError);
    expect(() => parseDecimal('1.23456')).toThrow(RangeError);
    expect(parseDecimal(' 12.5 ').toFixed(2)).toBe('12.50');
  });

  it('formats amounts with two fraction digits, passing canonical text through unchanged', () => {
    const cases: [string, string][] = [
      ['12.50', '12.50'], ['-12.50', '-12.50'], ['0.00', '0.00'], ['-0.00', '0.00'], ['-0.0', '0.00'], ['-0.05', '-0.05'],
      ['007.50', '7.50'], ['00.00', '0.00'], ['5', '5.00'], ['123.4', '123.40'], ['1234.565', '1234.56'], ['1234.575', '1234.58'],
    ];
    expect(cases.map(([input]) => formatAmount(input))).toEqual(cases.map(([, formatted]) => formatted));
  });
});

describe('customer id', () => {
  it('round-trips a CRM and an ERP id', () => {
    const crm = customerId('crm', '3f1c2a4e-1b2c-4d5e-8f90-123456789abc');
    expect(parseCustomerId(crm)).toEqual({ origin: 'crm', localId: '3f1c2a4e-1b2c-4d5e-8f90-123456789abc' });
    expect(parseCustomerId('erp:K-10023')).toEqual({ origin: 'erp', localId: 'K-10023' });
  });

  it('refuses malformed ids with BAD_USER_INPUT naming the field', () => {
    expect(() => parseCustomerId('crm:not-a-uuid', 'input.customerId')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'input.customerId' } }));
    expect(tryParseCustomerId('K-10023')).toBeNull();
  });
});

describe('pagination', () => {
  it('round-trips cursors and refuses forged ones', () => {
    expect(decodeCursor(encodeCursor('SO-100001'))).toBe('SO-100001');
    expect(() => decodeCursor('***')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('caps page sizes at 100', () => {
    expect(pageSize(undefined, 20)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
