/** The executor of every tx kind, by family. Adding a kind to protocol/tx-body.ts fails to compile here until it has one. */
import type { TxBody, TxBodyOf, TxKind } from '../protocol/tx-body.ts'
import {
  associationRetire,
  associationSetAddresses,
  associationUpdate,
  stakingRegister,
} from './associations.ts'
import { campaignClose, campaignCreate, campaignFund } from './campaigns.ts'
import type { TxContext } from './context.ts'
import { deviceBind, devicePay, deviceRevoke } from './devices.ts'
import { pointSetExpiry } from './expiry-policy.ts'
import { govPropose, govVote } from './governance.ts'
import {
  merchantAddTerminal,
  merchantAdmit,
  merchantApply,
  merchantAward,
  merchantPay,
  merchantRedeem,
  merchantReinstate,
  merchantRemoveTerminal,
  merchantRepay,
  merchantRevoke,
  merchantSetLimit,
  merchantSuspend,
} from './merchants.ts'
import { observerAdmit, observerRemove } from './observers.ts'
import { paramsSet } from './params.ts'
import {
  pointApprove,
  pointCreate,
  pointTransfer,
  pointTransferFrom,
  roleGrant,
  roleRevoke,
} from './points.ts'
import { trafficClaim } from './pseudonyms.ts'
import { purseEvidence, purseOpen, purseReclaim, purseSettle } from './purses.ts'
import { merchantCancelAward, merchantRefund, pointSetRefundWindow } from './refunds.ts'
import { sponsorGrant, sponsorRevoke } from './sponsorship.ts'
import { stakingDelegate, stakingUndelegate, stakingUnjail } from './staking.ts'
import { trafficAnchor, trafficRecord, trafficSetRules } from './traffic.ts'

type Executors = { readonly [K in TxKind]: (ctx: TxContext, body: TxBodyOf<K>) => void }

export const EXECUTORS: Executors = {
  'role.grant': roleGrant,
  'role.revoke': roleRevoke,
  'point.create': pointCreate,
  'point.transfer': pointTransfer,
  'point.approve': pointApprove,
  'point.transferFrom': pointTransferFrom,
  'merchant.apply': merchantApply,
  'merchant.admit': merchantAdmit,
  'merchant.setLimit': merchantSetLimit,
  'merchant.suspend': merchantSuspend,
  'merchant.reinstate': merchantReinstate,
  'merchant.revoke': merchantRevoke,
  'merchant.addTerminal': merchantAddTerminal,
  'merchant.removeTerminal': merchantRemoveTerminal,
  'merchant.award': merchantAward,
  'merchant.pay': merchantPay,
  'merchant.repay': merchantRepay,
  'merchant.redeem': merchantRedeem,
  'traffic.setRules': trafficSetRules,
  'traffic.record': trafficRecord,
  'traffic.anchor': trafficAnchor,
  'traffic.claim': trafficClaim,
  'device.bind': deviceBind,
  'device.pay': devicePay,
  'device.revoke': deviceRevoke,
  'sponsor.grant': sponsorGrant,
  'sponsor.revoke': sponsorRevoke,
  'staking.registerAssociation': stakingRegister,
  'staking.delegate': stakingDelegate,
  'staking.undelegate': stakingUndelegate,
  'staking.unjail': stakingUnjail,
  'association.update': associationUpdate,
  'association.retire': associationRetire,
  'association.setAddresses': associationSetAddresses,
  'observer.admit': observerAdmit,
  'observer.remove': observerRemove,
  'params.set': paramsSet,
  'gov.propose': govPropose,
  // A passed proposal's action runs through `execute` itself.
  'gov.vote': (ctx, body) => govVote(ctx, body, execute),
  // --- point expiry (issue 15) ---
  'point.setExpiry': pointSetExpiry,
  // --- offline purses (issue 15) ---
  'purse.open': purseOpen,
  'purse.settle': purseSettle,
  'purse.evidence': purseEvidence,
  'purse.reclaim': purseReclaim,
  // --- refunds (issue 15) ---
  'point.setRefundWindow': pointSetRefundWindow,
  'merchant.refund': merchantRefund,
  'merchant.cancelAward': merchantCancelAward,
  // --- campaigns (issue 15): the manager's or a merchant's, so none is manager-only ---
  'campaign.create': campaignCreate,
  'campaign.fund': campaignFund,
  'campaign.close': campaignClose,
}

export function execute(ctx: TxContext, body: TxBody): void {
  ;(EXECUTORS[body.kind] as (ctx: TxContext, body: TxBody) => void)(ctx, body)
}

/** Who alone may sign a kind, when that is known without reading records (checkTx's cheap filter). */
export const KIND_AUTHORITY: Partial<Record<TxKind, 'admin' | 'issuer' | 'manager'>> = {
  'role.grant': 'admin',
  'role.revoke': 'admin',
  'staking.registerAssociation': 'admin',
  'association.update': 'admin',
  'association.retire': 'admin',
  'observer.admit': 'admin',
  'observer.remove': 'admin',
  'params.set': 'admin',
  'point.create': 'issuer',
  'merchant.admit': 'manager',
  'merchant.setLimit': 'manager',
  'merchant.suspend': 'manager',
  'merchant.reinstate': 'manager',
  'merchant.revoke': 'manager',
  'merchant.repay': 'manager',
  'traffic.setRules': 'manager',
  'sponsor.grant': 'manager',
  'sponsor.revoke': 'manager',
  'point.setExpiry': 'manager',
  'point.setRefundWindow': 'manager',
}
