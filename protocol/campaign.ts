/**
 * Campaigns (issue 15, state/campaigns.ts): the stateless rules the ledger and a client share.
 *
 * A campaign's budget is held in its own name: the journal shows points moving into a campaign, out
 * of it to customers and back to its funder, with the campaign as the account on one side. That
 * account is `campaignAccount(point, id)`, the SHA-256 of tagged bytes (sign-bytes.ts): a 32-byte name
 * no key signs for, the same wherever it is computed.
 */
import { type Bytes, bytesKey } from './bytes.ts'
import { sha256 } from './crypto.ts'
import { campaignAccountBytes } from './sign-bytes.ts'
import { CAMPAIGN_TRIGGERS, type CampaignTrigger } from './tx-body.ts'

/** Most campaigns of one point not yet closed (each award of the point reads them all). */
export const MAX_LIVE_CAMPAIGNS = 8

/** The account a campaign's budget goes by in the journal. */
export function campaignAccount(point: string, campaign: string): Bytes {
  return sha256(campaignAccountBytes(point, campaign))
}

export interface CampaignTerms {
  readonly triggers: readonly CampaignTrigger[]
  readonly bonusPerMille: number
  readonly flatBonus: number
  readonly startMs: number
  readonly endMs: number
  readonly merchants: readonly Bytes[]
}

/**
 * Rule (campaign shape): at least one trigger, none twice; some bonus (bonusPerMille or flatBonus
 * above 0); startMs before endMs; no merchant listed twice. Null when the terms keep it, else what
 * is wrong. That endMs lies after the block time is the ledger's check (it needs the block).
 */
export function campaignTermsError(t: CampaignTerms): string | null {
  if (t.triggers.length === 0) return 'at least one trigger'
  if (new Set(t.triggers).size !== t.triggers.length) return 'a trigger is listed twice'
  if (t.bonusPerMille === 0 && t.flatBonus === 0) return 'bonusPerMille or flatBonus must be above 0'
  if (t.startMs >= t.endMs) return 'startMs must be before endMs'
  const seen = new Set<string>()
  for (const m of t.merchants) {
    const k = bytesKey(m)
    if (seen.has(k)) return 'a merchant is listed twice'
    seen.add(k)
  }
  return null
}

/** The triggers in their canonical order (as CAMPAIGN_TRIGGERS lists them). */
export function canonicalTriggers(triggers: readonly CampaignTrigger[]): CampaignTrigger[] {
  return CAMPAIGN_TRIGGERS.filter((t) => triggers.includes(t))
}
