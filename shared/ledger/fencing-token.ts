/**
 * Fencing tokens are unsigned 64-bit integers (a lock node's ZooKeeper czxid). Redis Lua has
 * only doubles, exact to 2^53, so the ledger stores and compares tokens as zero-padded decimal
 * strings of one fixed width, whose string order is their numeric order.
 */

export const TOKEN_DIGITS = 20;
export const MAX_TOKEN = 2n ** 64n - 1n;

export function formatToken(token: bigint): string {
  if (token < 0n || token > MAX_TOKEN) throw new RangeError(`fencing token ${token} is not an unsigned 64-bit integer`);
  return token.toString().padStart(TOKEN_DIGITS, '0');
}

export function parseToken(text: string): bigint {
  if (!/^\d{20}$/.test(text)) throw new RangeError(`fencing token "${text}" is not ${TOKEN_DIGITS} decimal digits`);
  return BigInt(text);
}

/** The token of a pool nobody has written under a lock yet, and of grants made without one. */
export const NO_TOKEN = formatToken(0n);
