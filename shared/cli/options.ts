import { z } from 'zod';
import { UsageError } from '../config/errors.js';
import { wholeNumber } from '../config/whole-number.js';
import type { OptionValues } from './command.js';

/** Reads one flag through a schema, so a bad value names the flag and says what it accepts. */
export function option<T extends z.ZodType>(values: OptionValues, flag: string, schema: T): z.output<T> {
  const parsed = schema.safeParse(values[flag]);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => i.message).join('; ');
    throw new UsageError(`invalid --${flag}${values[flag] === undefined ? '' : `=${JSON.stringify(values[flag])}`}: ${why}`);
  }
  return parsed.data;
}

export const intFlag = (min: number, max: number, fallback?: number) =>
  fallback === undefined ? wholeNumber(min, max) : wholeNumber(min, max).default(fallback);
