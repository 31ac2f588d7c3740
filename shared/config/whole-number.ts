import { z } from 'zod';

/** A whole number in a range, from a string (env, flags) or a number; the message names the range. */
export function wholeNumber(min: number, max: number) {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: rule }).int(rule).min(min, rule).max(max, rule);
}
