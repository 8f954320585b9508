import Decimal from 'decimal.js';

/** Exact decimal arithmetic for money; never JavaScript numbers. */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type Money = InstanceType<typeof Money>;

const DECIMAL_PATTERN = /^-?\d{1,15}(\.\d{1,4})?$/;

/** Parses a decimal string exactly; refuses floats-in-disguise such as "1e3" or "NaN". */
export function parseDecimal(value: string): Money {
  const text = value.trim();
  if (!DECIMAL_PATTERN.test(text)) throw new RangeError(`not a decimal: ${JSON.stringify(value)}`);
  return new Money(text);
}

// Already in the API's form: no leading zeros, exactly two fraction digits, not negative zero.
const CANONICAL_AMOUNT = /^(?:0|-?[1-9]\d*|-0(?=\.(?!00)))\.\d\d$/;

/** Formats with exactly two fraction digits, the way amounts are shown in the API ("1234.50"). */
export function formatAmount(value: Money | string): string {
  // Backends send numeric(14,2) text, already in this form: a Customer 360 formats thousands of them.
  if (typeof value === 'string' && CANONICAL_AMOUNT.test(value)) return value;
  return new Money(value).toFixed(2);
}

/** Sums decimal strings exactly. */
export function sumAmounts(values: Iterable<string | Money>): Money {
  let total = new Money(0);
  for (const v of values) total = total.plus(v);
  return total;
}
