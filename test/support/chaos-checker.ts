/**
 * The one checker every chaos scenario ends with. It gathers evidence about a finished campaign
 * from outside the code under test (the CLI's `report --json` and `export`, and ZooKeeper
 * itself) and checks it against the invariants money must keep:
 *
 * - `grab report --json` says ok (its own invariants: granted + refunded + remaining = total, ...);
 * - per pool, from the export: granted + refunded + remaining = total in cents and in packets;
 *   a closed or expired campaign keeps nothing remaining; `export --refunds` agrees with the
 *   report, at most one refund per pool, and no grant is dated after its pool's close instant;
 * - an independent cross-check of the exported grants: per-pool sums equal the report's
 *   grantedCents, at most one grant per (pool, user), every grant at least 1 whole cent, no
 *   pool paying out more than its total or more grants than packets;
 * - every enqueued grab has exactly one outcome (pending 0, finished = enqueued);
 * - no lock node left in ZooKeeper under /grab/locks/<campaign> (ephemeral contender nodes of a
 *   stopped fleet must be gone; persistent parents may stay).
 *
 * checkEvidence() is pure, so a test can feed it tampered evidence and see it catch each lie.
 */
import zookeeper from 'node-zookeeper-client';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { grab } from './cli.js';

export interface ExportedGrant {
  campaign: string;
  pool: string;
  user: string;
  cents: number;
  token?: string;
  at?: string;
}

export interface ExportedRefund {
  campaign: string;
  pool: string;
  cents: number;
  packets: number;
  /** The pool's close instant (ISO). */
  at: string;
}

export interface ChaosEvidence {
  report: CampaignReport;
  grants: ExportedGrant[];
  /** `grab export --refunds`; [] while no pool is closed. */
  refunds: ExportedRefund[];
  /** Paths of lock nodes (ephemeral contenders) still under /grab/locks/<campaign>. */
  lockNodes: string[];
  /** How many grabs the scenario enqueued, if it knows; checked against the report's count. */
  expectedGrabs?: number | undefined;
}

export interface ChaosCheck {
  violations: string[];
  report: CampaignReport;
  grants: number;
  /** (pool, user) pairs granted more than once in the export. */
  duplicateGrants: number;
  /** Enqueued grabs without an outcome. */
  lostGrabs: number;
  /** Cents paid out beyond the pools' totals (0 when every pool kept its total). */
  overspentCents: number;
  lockNodes: string[];
  /** How long after the fleet stopped the last lock node took to vanish (ms). */
  lockCleanupMs: number;
}

/** Every violation of the invariants the evidence shows; empty when all hold. */
export function checkEvidence(e: ChaosEvidence): string[] {
  const v: string[] = [];
  const r = e.report;
  if (!r.ok) for (const x of r.violations) v.push(`report: ${x}`);
  if (!r.ok && r.violations.length === 0) v.push('report: not ok, but names no violation');
  if (r.ok && r.violations.length > 0) v.push('report: ok, yet lists violations');

  // Every enqueued grab has exactly one outcome.
  if (r.jobs.pending !== 0) v.push(`jobs: ${r.jobs.pending} of ${r.jobs.enqueued} enqueued grabs have no outcome`);
  if (r.jobs.finished !== r.jobs.enqueued)
    v.push(`jobs: ${r.jobs.finished} outcomes for ${r.jobs.enqueued} enqueued grabs`);
  const outcomeSum =
    r.outcomes.granted +
    r.outcomes.sold_out +
    r.outcomes.duplicate +
    r.outcomes.expired +
    r.outcomes.rejected +
    r.outcomes.failed;
  if (outcomeSum !== r.jobs.finished)
    v.push(`jobs: outcomes add up to ${outcomeSum}, not the ${r.jobs.finished} finished`);
  if (r.outcomes.failed > 0)
    v.push(`jobs: ${r.outcomes.failed} grabs failed; under these faults every grab must settle`);
  if (e.expectedGrabs !== undefined && r.jobs.enqueued !== e.expectedGrabs) {
    v.push(`jobs: the report counts ${r.jobs.enqueued} enqueued grabs, the scenario enqueued ${e.expectedGrabs}`);
  }

  // The export, checked on its own and against the report.
  const pools = new Map(r.pools.map((p) => [p.pool, p]));
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const g of e.grants) {
    if (g.campaign !== r.campaign)
      v.push(`export: a grant of campaign "${g.campaign}" in the export of "${r.campaign}"`);
    if (!pools.has(g.pool)) v.push(`export: a grant from pool "${g.pool}", which the report does not know`);
    const key = `${g.pool}\u0000${g.user}`;
    if (seen.has(key)) v.push(`export: user ${g.user} granted more than once from pool ${g.pool}`);
    seen.add(key);
    if (!Number.isSafeInteger(g.cents) || g.cents < 1)
      v.push(`export: user ${g.user} of pool ${g.pool} granted ${g.cents} cents, not a whole cent ≥ 1`);
    sums.set(g.pool, (sums.get(g.pool) ?? 0) + g.cents);
    counts.set(g.pool, (counts.get(g.pool) ?? 0) + 1);
  }
  // Refunds: at most one per pool, as the report counts them, and no grant after the close.
  const refunds = new Map<string, ExportedRefund>();
  for (const refund of e.refunds) {
    if (refunds.has(refund.pool)) v.push(`refunds: pool ${refund.pool} refunded more than once`);
    refunds.set(refund.pool, refund);
    if (!pools.has(refund.pool)) v.push(`refunds: a refund of pool "${refund.pool}", which the report does not know`);
  }
  for (const g of e.grants) {
    const closedAt = refunds.get(g.pool)?.at;
    if (closedAt !== undefined && g.at !== undefined && Date.parse(g.at) > Date.parse(closedAt))
      v.push(`export: user ${g.user} of pool ${g.pool} granted at ${g.at}, after the pool closed at ${closedAt}`);
  }
  const finished = r.state === 'closed' || r.state === 'expired';

  let grantedTotal = 0;
  let poolTotal = 0;
  for (const p of r.pools) {
    const refund = refunds.get(p.pool);
    if ((refund?.cents ?? 0) !== p.refundedCents || (refund?.packets ?? 0) !== p.refundedPackets)
      v.push(
        `refunds: pool ${p.pool} exported ${refund?.cents ?? 0} cents and ${refund?.packets ?? 0} packets ` +
          `refunded, the report says ${p.refundedCents} and ${p.refundedPackets}`,
      );
    const exportedCents = sums.get(p.pool) ?? 0;
    if (exportedCents + p.refundedCents + p.remainingCents !== p.totalCents)
      v.push(
        `export: pool ${p.pool} granted ${exportedCents} + refunded ${p.refundedCents} + ` +
          `remaining ${p.remainingCents} cents, not its total ${p.totalCents}`,
      );
    const exportedPackets = counts.get(p.pool) ?? 0;
    if (exportedPackets + p.refundedPackets + p.remainingPackets !== p.packets)
      v.push(
        `export: pool ${p.pool} granted ${exportedPackets} + refunded ${p.refundedPackets} + ` +
          `remaining ${p.remainingPackets} packets, not its ${p.packets}`,
      );
    if (finished && (p.remainingCents !== 0 || p.remainingPackets !== 0))
      v.push(`report: the campaign is ${r.state} but pool ${p.pool} keeps ${p.remainingCents} cents`);
    const sum = sums.get(p.pool) ?? 0;
    grantedTotal += sum;
    poolTotal += p.totalCents;
    if (sum !== p.grantedCents)
      v.push(`export: pool ${p.pool} grants sum to ${sum} cents, the report says ${p.grantedCents}`);
    if (sum > p.totalCents) v.push(`export: pool ${p.pool} paid out ${sum} cents of its ${p.totalCents}`);
    const n = counts.get(p.pool) ?? 0;
    if (n > p.packets) v.push(`export: pool ${p.pool} has ${n} grants for ${p.packets} packets`);
    if (n !== p.grants) v.push(`export: pool ${p.pool} has ${n} grants exported, the report counts ${p.grants}`);
  }
  if (grantedTotal > poolTotal)
    v.push(`export: ${grantedTotal} cents granted in all, more than the ${poolTotal} the pools hold`);
  const granted = r.outcomes.granted;
  if (e.grants.length !== granted)
    v.push(`export: ${e.grants.length} grants exported, ${granted} grabs recorded as granted`);

  for (const node of e.lockNodes) v.push(`zookeeper: lock node ${node} left behind`);
  return v;
}

/** Overspend and duplicates, as numbers for the result table. */
function tally(e: ChaosEvidence): { duplicateGrants: number; overspentCents: number } {
  const seen = new Set<string>();
  let duplicateGrants = 0;
  const sums = new Map<string, number>();
  for (const g of e.grants) {
    const key = `${g.pool}\u0000${g.user}`;
    if (seen.has(key)) duplicateGrants++;
    seen.add(key);
    sums.set(g.pool, (sums.get(g.pool) ?? 0) + g.cents);
  }
  let overspentCents = 0;
  for (const p of e.report.pools) {
    // The ledger's own view (granted + refunded + remaining vs total) and the export's; whichever is worse.
    const ledger = p.grantedCents + p.refundedCents + p.remainingCents - p.totalCents;
    const exported = (sums.get(p.pool) ?? 0) - p.totalCents;
    overspentCents += Math.max(0, ledger, exported);
  }
  return { duplicateGrants, overspentCents };
}

export function parseExport<T = ExportedGrant>(ndjson: string): T[] {
  return ndjson
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Lists every ephemeral node under root (recursively); [] if root does not exist. */
export async function ephemeralNodesUnder(zkConnect: string, root: string): Promise<string[]> {
  const client = zookeeper.createClient(zkConnect, { sessionTimeout: 10_000, retries: 0 });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cannot connect to ZooKeeper at ${zkConnect}`)), 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.connect();
  try {
    await connected;
    const isNoNode = (err: unknown) =>
      (err as { getCode?: () => number } | null)?.getCode?.() === zookeeper.Exception.NO_NODE;
    const children = (path: string) =>
      new Promise<string[]>((resolve, reject) =>
        client.getChildren(path, (err, kids) =>
          err ? (isNoNode(err) ? resolve([]) : reject(err)) : resolve(kids ?? []),
        ),
      );
    const ephemeral = (path: string) =>
      new Promise<boolean>((resolve, reject) =>
        client.exists(path, (err, stat) => {
          if (err) return isNoNode(err) ? resolve(false) : reject(err);
          if (!stat) return resolve(false);
          const owner = stat.ephemeralOwner as unknown as Buffer;
          resolve(owner.some((b) => b !== 0));
        }),
      );
    const found: string[] = [];
    const walk = async (path: string): Promise<void> => {
      for (const kid of await children(path)) {
        const p = `${path}/${kid}`;
        if (await ephemeral(p)) found.push(p);
        await walk(p);
      }
    };
    await walk(root);
    return found;
  } finally {
    client.close();
  }
}

export interface CheckOptions {
  campaign: string;
  /** Env for the CLI runs: the scenario's REDIS_URL, and ZK_CONNECT, where the lock nodes are looked for. */
  env: Record<string, string>;
  expectedGrabs?: number | undefined;
  /**
   * How long to give lock nodes to vanish: a SIGKILLed holder's ephemeral node lives until its
   * session times out. Default 15 s.
   */
  lockWaitMs?: number;
}

/** Runs `grab report --json` and `grab export`, lists ZooKeeper, and checks it all. Call after the fleet stopped. */
export async function checkCampaign(opts: CheckOptions): Promise<ChaosCheck> {
  const zkConnect = opts.env.ZK_CONNECT;
  if (!zkConnect) throw new Error('checkCampaign: env has no ZK_CONNECT');
  const root = `/grab/locks/${opts.campaign}`;
  const started = Date.now();
  let lockNodes = await ephemeralNodesUnder(zkConnect, root);
  while (lockNodes.length > 0 && Date.now() - started < (opts.lockWaitMs ?? 15_000)) {
    await new Promise((r) => setTimeout(r, 200));
    lockNodes = await ephemeralNodesUnder(zkConnect, root);
  }
  const lockCleanupMs = Date.now() - started;

  const reported = await grab(['report', '--campaign', opts.campaign, '--json'], opts.env);
  let report: CampaignReport;
  try {
    report = JSON.parse(reported.stdout) as CampaignReport;
  } catch {
    throw new Error(`grab report --json printed no JSON (exit ${reported.code}): ${reported.stderr.slice(0, 2000)}`);
  }
  const exported = await grab(['export', '--campaign', opts.campaign], opts.env);
  if (exported.code !== 0) throw new Error(`grab export exited ${exported.code}: ${exported.stderr.slice(0, 2000)}`);
  const grants = parseExport<ExportedGrant>(exported.stdout);
  const refunded = await grab(['export', '--campaign', opts.campaign, '--refunds'], opts.env);
  if (refunded.code !== 0)
    throw new Error(`grab export --refunds exited ${refunded.code}: ${refunded.stderr.slice(0, 2000)}`);
  const refunds = parseExport<ExportedRefund>(refunded.stdout);
  const evidence: ChaosEvidence = { report, grants, refunds, lockNodes, expectedGrabs: opts.expectedGrabs };
  const violations = checkEvidence(evidence);
  if ((reported.code === 0) !== report.ok)
    violations.push(`report: exit code ${reported.code} disagrees with ok=${report.ok}`);
  return {
    violations,
    report,
    grants: grants.length,
    ...tally(evidence),
    lostGrabs: Math.max(0, report.jobs.enqueued - report.jobs.finished),
    lockNodes,
    lockCleanupMs,
  };
}
