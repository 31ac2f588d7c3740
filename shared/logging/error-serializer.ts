import { pino } from 'pino';

export const REDACTED = '[redacted]';

/** Nested errors and objects deeper than this are cut: an error is logged to be read, not dumped. */
const MAX_DEPTH = 8;

/** scheme://user:password@host, whatever the scheme (redis, rediss, redis+sentinel, ...): the password is group 2. */
const URL_CREDENTIALS = String.raw`\b([a-z][a-z0-9+.-]*://[^\s:@/?#]*):([^\s/?#]*)@`;
const urlCredentials = new RegExp(URL_CREDENTIALS, 'gi');

/** The password in a URL's user info, as written there (percent-encoded or not). */
export function urlPassword(url: string): string | undefined {
  return new RegExp(URL_CREDENTIALS, 'i').exec(url)?.[2] || undefined;
}

/** Credentials in a URL, and each known secret, replaced wherever they appear in the text. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text.replace(urlCredentials, `$1:${REDACTED}@`);
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}

/**
 * The arguments of a Redis command an error carries (ioredis attaches `err.command`), with
 * anything that may be a credential replaced: AUTH's, ACL's, CONFIG SET's values, and whatever
 * follows an AUTH or AUTH2 token (HELLO 3 AUTH user password, MIGRATE ... AUTH2 user password).
 */
function redactedArgs(name: string, args: readonly unknown[]): unknown[] {
  const command = name.toLowerCase();
  if (command === 'auth') return args.map(() => REDACTED);
  if (command === 'acl') return args.map((arg, i) => (i === 0 ? arg : REDACTED));
  if (command === 'config' && String(args[0]).toLowerCase() === 'set')
    return args.map((arg, i) => (i > 0 && i % 2 === 0 ? REDACTED : arg));
  const token = args.findIndex((arg) => typeof arg === 'string' && /^auth2?$/i.test(arg));
  return token < 0 ? [...args] : args.map((arg, i) => (i > token ? REDACTED : arg));
}

function scrub(value: unknown, secrets: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1, seen));
  // An error pino's serializer left as it was (in an array or object the error carries): its
  // message and stack are not enumerable, so serialize it the same way.
  const source = value instanceof Error ? (pino.stdSerializers.err(value) as object) : value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(source)) out[key] = scrub(item, secrets, depth + 1, seen);
  if (typeof out.name === 'string' && Array.isArray(out.args)) out.args = redactedArgs(out.name, out.args);
  return out;
}

/**
 * pino's `err` serializer, then scrubbed: the arguments of credential-bearing Redis commands,
 * passwords in URLs, and every known secret, in the error, its causes (which pino folds into
 * message and stack), an AggregateError's errors, and any error or object it carries.
 * Only errors pay for this; other log fields go through pino's redact paths alone.
 */
export function errorSerializer(secrets: readonly string[]): (err: unknown) => unknown {
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (err) => scrub(pino.stdSerializers.err(err as Error), known, 0, new WeakSet());
}
