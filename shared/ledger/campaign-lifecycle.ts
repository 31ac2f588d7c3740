import type { Ledger } from './ledger.js';
import type { CampaignState } from './ledger-types.js';
import type { CampaignLifecycle, Refund } from './lifecycle.js';

/** What an operator may do to a running campaign, and the state each asks for. */
export const lifecycleActions = { close: 'closed', pause: 'paused', resume: 'open' } as const satisfies Record<
  string,
  CampaignState
>;
export type LifecycleAction = keyof typeof lifecycleActions;

export interface LifecycleServices {
  ledger: Ledger;
  lifecycle: CampaignLifecycle;
}

export interface LifecycleResult {
  campaign: string;
  instance: number;
  action: LifecycleAction;
  /** The campaign's state now. */
  state: CampaignState;
  /** When that state began: the close, the expiry instant, the pause or the resume. */
  atMs: number | undefined;
  /** False when the campaign was in that state already (idempotent); any pool left over is finished anyway. */
  changed: boolean;
  /** Refunds made by this call: every pool's at a close, or the pools a close cut short had left. */
  refunds: Refund[];
}

/** No such campaign (or it was deleted meanwhile). */
export class UnknownCampaignError extends Error {
  override readonly name = 'UnknownCampaignError';
  constructor(readonly campaignId: string) {
    super(`no campaign "${campaignId}"; see grab campaign list`);
  }
}

/** The campaign is closed or expired, and so cannot be paused or resumed. */
export class CampaignFinishedError extends Error {
  override readonly name = 'CampaignFinishedError';
  constructor(
    readonly campaignId: string,
    readonly action: LifecycleAction,
    readonly state: CampaignState,
    readonly atMs: number | undefined,
  ) {
    const since = atMs === undefined ? '' : ` since ${new Date(atMs).toISOString()}`;
    super(
      `campaign "${campaignId}" is ${state}${since} and cannot be ${action === 'pause' ? 'paused' : 'resumed'}: ` +
        'closed and expired are final (its pools are refunded); create a new campaign instead',
    );
  }
}

/**
 * Changes a campaign's state: records it on the campaign first, then pool by pool (refunding
 * each pool at a close), so running it again finishes a change cut short. A close of a campaign
 * already closed or expired changes nothing and says so (`changed: false`); a pause or a resume
 * of one is refused with CampaignFinishedError.
 */
export async function changeCampaign(
  { ledger, lifecycle }: LifecycleServices,
  campaignId: string,
  action: LifecycleAction,
): Promise<LifecycleResult> {
  const record = await ledger.getCampaign(campaignId);
  const change = record && (await lifecycle.change(record, lifecycleActions[action]));
  if (!record || !change) throw new UnknownCampaignError(campaignId);
  if (change.status === 'refused' && action !== 'close')
    throw new CampaignFinishedError(campaignId, action, change.state, change.atMs);
  return {
    campaign: campaignId,
    instance: record.instance,
    action,
    state: change.state,
    atMs: change.atMs,
    changed: change.status === 'changed' && change.state === lifecycleActions[action],
    refunds: change.refunds,
  };
}

/** Closes a campaign now: no grant lands after the close instant, and each pool's remainder is refunded once. */
export const closeCampaign = (services: LifecycleServices, campaignId: string) =>
  changeCampaign(services, campaignId, 'close');

/** Pauses a campaign: its grabs wait, without spending attempts, until it is resumed. */
export const pauseCampaign = (services: LifecycleServices, campaignId: string) =>
  changeCampaign(services, campaignId, 'pause');

/** Resumes a paused campaign: the grabs that waited settle. */
export const resumeCampaign = (services: LifecycleServices, campaignId: string) =>
  changeCampaign(services, campaignId, 'resume');
