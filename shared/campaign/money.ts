import { UsageError } from '../config/errors.js';

const PLAIN_AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;
const TOO_MANY_DECIMALS = /^(\d+)\.(\d{3,})$/;
const NEGATIVE = /^-(\d+(?:\.\d+)?)$/;
const EXPONENT = /^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;
/** A JSON or YAML number keeps 15 significant decimal digits exactly; beyond that it may already have been rounded. */
const EXACT_NUMBER_DIGITS = 15;
const MAX_CENTS = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Exact cents of an amount in currency units ("8888.88" -> 888888), by string arithmetic:
 * a float multiplication would turn 0.29 into 28.999999999999996.
 * Throws UsageError saying what is wrong and how to write it instead.
 */
export function parseAmountToCents(amount: string | number): number {
  const text = typeof amount === 'number' ? numberAsText(amount) : amount.trim();
  const plain = PLAIN_AMOUNT.exec(text);
  if (!plain) throw new UsageError(whyNotPlain(text));
  const cents = BigInt(plain[1]!) * 100n + BigInt((plain[2] ?? '').padEnd(2, '0'));
  if (cents === 0n) throw new UsageError(`amount "${text}" is zero; a pool needs at least 0.01`);
  if (cents > MAX_CENTS) throw new UsageError(`amount "${text}" is too large; at most ${formatCents(MAX_CENTS)}`);
  return Number(cents);
}

function numberAsText(amount: number): string {
  const text = String(amount);
  const significantDigits = text
    .replace(/^-/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/[eE].*$/, '').length;
  if (Number.isFinite(amount) && significantDigits > EXACT_NUMBER_DIGITS) {
    throw new UsageError(
      `amount ${text} has more than ${EXACT_NUMBER_DIGITS} significant digits, ` +
        `more than a JSON or YAML number keeps exactly; write it as a quoted string`,
    );
  }
  return text;
}

function whyNotPlain(text: string): string {
  if (text === '') return 'amount is empty; give an amount in currency units, e.g. 88.88';
  const negative = NEGATIVE.exec(text);
  if (negative) return `amount "${text}" is negative; give a positive amount, e.g. ${negative[1]}`;
  if (EXPONENT.test(text))
    return `amount "${text}" uses exponent notation; write the digits out, e.g. 1000 rather than 1e3`;
  const decimals = TOO_MANY_DECIMALS.exec(text);
  if (decimals) {
    const truncated = `${decimals[1]}.${decimals[2]!.slice(0, 2)}`;
    const example = /[1-9]/.test(truncated) ? truncated : '0.01';
    return `amount "${text}" has more than two decimals; give at most two, e.g. ${example}`;
  }
  return (
    `amount "${text}" is not a plain decimal number; write digits with an optional ` +
    `"." and at most two decimals, without currency sign or thousands separators, ` +
    `e.g. 8888.88`
  );
}

const formatCents = (cents: bigint): string => `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
