import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { wholeNumber } from '../config/whole-number.js';
import { UsageError } from '../config/errors.js';
import { durationSchema, expiryOf, instantSchema, type Expiry } from './expiry.js';
import { parseAmountToCents } from './money.js';

/** How a pool's amount is split into packets: the ledger's split algorithms (`ledger/split.ts`) by name. */
export const splitNames = ['random', 'equal'] as const;
export type SplitName = (typeof splitNames)[number];

export const MAX_POOLS = 100_000;
export const MAX_PACKETS_PER_POOL = 1_000_000;

export interface PoolSpec {
  id: string;
  amountCents: number;
  packets: number;
}

/** A campaign as the ledger stores it: amounts already in integer cents. */
export interface CampaignSpec {
  id: string;
  split: SplitName;
  pools: PoolSpec[];
  /** When the campaign stops granting by itself and refunds what is left; never when absent. */
  expiry?: Expiry;
}

/** Ids go into Redis keys, ZooKeeper paths and BullMQ job ids: no ':' or '/', and never all digits. */
const ID_RULE = 'must be 1 to 64 letters, digits, "_" or "-", not all digits, e.g. "new-year-2025"';
export const idSchema = z.string({ error: ID_RULE }).regex(/^(?!\d+$)[A-Za-z0-9_-]{1,64}$/, ID_RULE);

const packetsSchema = wholeNumber(1, MAX_PACKETS_PER_POOL);
const amountCentsSchema = wholeNumber(1, Number.MAX_SAFE_INTEGER, ' of cents');
const splitSchema = z.enum(splitNames, { error: `must be ${splitNames.join(' or ')}` }).default('random');

/** How the two ways of giving an amount are named where the user wrote them. */
interface AmountNames {
  amount: string;
  amountCents: string;
}

/** The cents of exactly one of `amount` (currency units) or `amountCents`, or an issue saying what to give instead. */
function resolveCents(
  input: { amount?: string | number | undefined; amountCents?: number | undefined },
  names: AmountNames,
  ctx: z.RefinementCtx,
): number | undefined {
  if (input.amount !== undefined && input.amountCents !== undefined) {
    ctx.addIssue({ code: 'custom', message: `give either ${names.amount} or ${names.amountCents}, not both` });
    return undefined;
  }
  if (input.amountCents !== undefined) return input.amountCents;
  if (input.amount === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `give ${names.amount} in currency units (e.g. 88.88) or ${names.amountCents} (e.g. 8888)`,
    });
    return undefined;
  }
  try {
    return parseAmountToCents(input.amount);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
    return undefined;
  }
}

/** Every packet gets at least 1 cent, so a pool needs at least as many cents as packets. */
function checkFillable(what: string, cents: number, packets: number, ctx: z.RefinementCtx): void {
  if (cents < packets) {
    ctx.addIssue({
      code: 'custom',
      message:
        `${what} has ${cents} cents for ${packets} packets; every packet needs ` +
        `at least 1 cent, so give at least ${packets} cents or at most ${cents} ` +
        `packets`,
    });
  }
}

const strictObjectError = (shape: string) => (issue: z.core.$ZodRawIssue) => {
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; ${shape}`;
  if (issue.code === 'invalid_type') return `must be an object: ${shape}`;
  return undefined;
};

const amountInput = z.union([z.string(), z.number()], {
  error: 'must be a decimal number in currency units, e.g. "88.88"',
});

const poolSchema = z
  .strictObject(
    { id: idSchema, amount: amountInput.optional(), amountCents: amountCentsSchema.optional(), packets: packetsSchema },
    { error: strictObjectError('a pool has id, packets and one of amount or amountCents') },
  )
  .transform((pool, ctx): PoolSpec => {
    const amountCents = resolveCents(pool, { amount: 'amount', amountCents: 'amountCents' }, ctx);
    if (amountCents === undefined) return z.NEVER;
    checkFillable(`pool "${pool.id}"`, amountCents, pool.packets, ctx);
    return { id: pool.id, amountCents, packets: pool.packets };
  });

export const campaignSchema = z
  .strictObject(
    {
      id: idSchema,
      split: splitSchema,
      expiresAt: instantSchema.optional(),
      expiresIn: durationSchema.optional(),
      pools: z
        .array(poolSchema, { error: 'must be a list of pools' })
        .min(1, 'must list at least one pool')
        .max(MAX_POOLS, `must list at most ${MAX_POOLS} pools; split the campaign`)
        .superRefine((pools, ctx) => {
          const firstIndex = new Map<string, number>();
          pools.forEach((pool, index) => {
            const first = firstIndex.get(pool.id);
            if (first === undefined) firstIndex.set(pool.id, index);
            else
              ctx.addIssue({
                code: 'custom',
                path: [index, 'id'],
                message: `duplicate pool id "${pool.id}" (also pools[${first}]); give every pool its own id`,
              });
          });
        }),
    },
    { error: strictObjectError('a campaign spec has id, pools and optionally split, and expiresAt or expiresIn') },
  )
  .transform(({ expiresAt, expiresIn, ...campaign }, ctx): CampaignSpec => {
    const expiry = expiryOf({ expiresAt, expiresIn }, ctx, { at: 'expiresAt', in: 'expiresIn' });
    return expiry === undefined ? campaign : { ...campaign, expiry };
  });

/** Validates a spec read from a file (or any untrusted object). Throws UsageError naming each bad field's path. */
export function parseCampaignSpec(input: unknown, source = 'spec'): CampaignSpec {
  const parsed = campaignSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(`${source}: ${describeIssues(parsed.error, formatSpecPath)}`);
  return parsed.data;
}

/** Reads and validates a .json, .yaml or .yml spec file. */
export async function parseSpecFile(path: string): Promise<CampaignSpec> {
  const format = extname(path).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(format))
    throw new UsageError(`spec file ${path} must end in .json, .yaml or .yml`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read spec file ${path}: ${(err as Error).message}`);
  }
  let input: unknown;
  try {
    input = format === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(
      `spec file ${path} is not valid ${format === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return parseCampaignSpec(input, path);
}

/** A positive whole number given as a flag's string is read as that number; anything else fails the number rule. */
const fromFlag = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), schema);

/** The rules of `grab campaign create`'s flags that stand alone: each flag's text, read as a spec file's field is. */
export const campaignFlagRules = {
  pools: fromFlag(wholeNumber(1, MAX_POOLS)),
  packets: fromFlag(packetsSchema),
  amountCents: fromFlag(amountCentsSchema),
};

const flagsSchema = z
  .object({
    id: idSchema,
    pools: campaignFlagRules.pools,
    packets: campaignFlagRules.packets,
    amount: amountInput.optional(),
    amountCents: campaignFlagRules.amountCents.optional(),
    split: splitSchema,
    expiresIn: durationSchema.optional(),
  })
  .transform((flags, ctx): CampaignSpec => {
    const amountCents = resolveCents(flags, { amount: '--amount', amountCents: '--amount-cents' }, ctx);
    if (amountCents === undefined) return z.NEVER;
    checkFillable('each pool', amountCents, flags.packets, ctx);
    const pools = Array.from({ length: flags.pools }, (_, i) => ({
      id: `p${i + 1}`,
      amountCents,
      packets: flags.packets,
    }));
    const spec = { id: flags.id, split: flags.split, pools };
    return flags.expiresIn === undefined ? spec : { ...spec, expiry: { inMs: flags.expiresIn } };
  });

/**
 * What `grab campaign create` takes instead of a file: `pools` identical pools, each of `packets`
 * packets and `amount`.
 */
export interface CampaignFlags {
  id?: unknown;
  pools?: unknown;
  packets?: unknown;
  /** Per pool, in currency units. */
  amount?: unknown;
  /** Per pool, in cents. */
  amountCents?: unknown;
  split?: unknown;
  /** A duration such as 24h, from creation. */
  expiresIn?: unknown;
}

/** Builds a spec of pools named p1..pN from command-line flags. Throws UsageError naming the flag. */
export function specFromFlags(flags: CampaignFlags): CampaignSpec {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error, formatFlagPath));
  return parsed.data;
}

const MAX_ISSUES_SHOWN = 10;

function describeIssues(error: z.ZodError, formatPath: (path: PropertyKey[]) => string): string {
  const shown = error.issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => {
    const path = formatPath(issue.path);
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  const hidden = error.issues.length - shown.length;
  return [...shown, ...(hidden > 0 ? [`and ${hidden} more problems`] : [])].join('; ');
}

/** ['pools', 3, 'packets'] -> "pools[3].packets" */
export const formatSpecPath = (path: PropertyKey[]): string =>
  path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');

/** ['amountCents'] -> "--amount-cents" */
const formatFlagPath = (path: PropertyKey[]): string =>
  path.length === 0 ? '' : `--${String(path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
