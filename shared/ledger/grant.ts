import { formatToken, parseToken } from './fencing-token.js';

/** One user's packet from one pool, as the grants hash records it. */
export interface Grant {
  cents: number;
  /** The fencing token of the lock holder that wrote it; 0 when no lock was held. */
  token: bigint;
  atMs: number;
  jobId: string;
}

/**
 * "cents|token|atMs|jobId": the job id comes last, so it may itself contain '|'. The Lua scripts write
 * the same format.
 */
export function formatGrant(grant: Grant): string {
  return `${grant.cents}|${formatToken(grant.token)}|${grant.atMs}|${grant.jobId}`;
}

export function parseGrant(record: string): Grant {
  const match = /^(\d+)\|(\d{20})\|(\d+)\|(.*)$/s.exec(record);
  if (!match) throw new Error(`malformed grant record "${record}"`);
  return { cents: Number(match[1]), token: parseToken(match[2]!), atMs: Number(match[3]), jobId: match[4]! };
}
