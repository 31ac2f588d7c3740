import { z } from 'zod';

const ruleFor = (min: number, max: number, unit: string) => `must be a whole number${unit} from ${min} to ${max}`;

/** A whole number in a range, as JSON gives it: a string is refused. The message names the range. */
export function wholeNumber(min: number, max: number, unit = '') {
  const rule = ruleFor(min, max, unit);
  return z.number({ error: rule }).int(rule).min(min, rule).max(max, rule);
}

/** A whole number in a range, from a string (env, flags) or a number; the message names the range. */
export function coercedWholeNumber(min: number, max: number) {
  const rule = ruleFor(min, max, '');
  return z.coerce.number({ error: rule }).int(rule).min(min, rule).max(max, rule);
}
