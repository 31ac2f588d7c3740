import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { z } from 'zod';

/**
 * The flag's text through its schema; a refusal is commander's, naming the flag and the value, with
 * the schema's rule.
 */
const parseWith =
  <T>(schema: z.ZodType<T>) =>
  (raw: string): T => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw new InvalidArgumentError([...new Set(parsed.error.issues.map((i) => i.message))].join('; '));
    return parsed.data;
  };

/**
 * A flag that takes a value, checked by a zod schema: this one declaration gives its help line,
 * its validation and its type. Chain `.default(v)` or `.makeOptionMandatory()` as needed.
 */
export const flag = <const Usage extends string, T>(usage: Usage, describe: string, schema: z.ZodType<T>) =>
  new Option(usage, describe).argParser(parseWith(schema));

/** A flag that may be given more than once: each value checked by the schema, all of them kept in order. */
export const repeatable = <const Usage extends string, T>(usage: Usage, describe: string, schema: z.ZodType<T>) => {
  const parse = parseWith(schema);
  return new Option(usage, describe).argParser((raw, previous: T[] | undefined) => [...(previous ?? []), parse(raw)]);
};

/** A flag that takes one of a few words; help lists them and anything else is refused. */
export const oneOf = <const Usage extends string, const Values extends readonly string[]>(
  usage: Usage,
  describe: string,
  values: Values,
) => new Option(usage, describe).choices(values);

/** A flag that takes any text (a path, or what a later check reads as a whole). */
export const text = <const Usage extends string>(usage: Usage, describe: string) => new Option(usage, describe);

/** A flag without a value: true when given. */
export const toggle = <const Usage extends string>(usage: Usage, describe: string) => new Option(usage, describe);
