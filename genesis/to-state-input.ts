/** Maps a validated genesis document to the input of state/'s `createGenesisState`. */
import type { ChainParams, GenesisStateInput } from '../state/ledger.ts'
import type { Genesis } from './document.ts'

export function toGenesisStateInput(g: Genesis): GenesisStateInput {
  // Spelled out (not spread) so a parameter added on either side is a type error here, not a silent gap.
  const l = g.params.ledger
  const c = g.params.consensus
  const params: ChainParams = {
    epochLength: l.epochLength,
    maxValidators: l.maxValidators,
    minValidatorStake: l.minValidatorStake,
    unbondingEpochs: l.unbondingEpochs,
    maxTxValidityBlocks: l.maxTxValidityBlocks,
    maxTerminalsPerMerchant: l.maxTerminalsPerMerchant,
    maxDevicesPerOwner: l.maxDevicesPerOwner,
    maxDelegationsPerMember: l.maxDelegationsPerMember,
    jailEpochs: l.jailEpochs,
    maxBlockBytes: c.maxBlockBytes,
    maxBlockTxs: c.maxBlockTxs,
    viewTimeoutBaseMs: c.viewTimeoutBaseMs,
    viewTimeoutIncrementMs: c.viewTimeoutIncrementMs,
    viewTimeoutCapMs: c.viewTimeoutCapMs,
    emptyBlockIntervalMs: c.emptyBlockIntervalMs,
  }
  return {
    chainId: g.chainId,
    genesisTimeMs: g.genesisTimeMs,
    params,
    accounts: g.accounts.map((a) => ({ address: a.address, roles: [...a.roles], stake: a.stake })),
    associations: g.validators.map((v) => ({
      account: v.account,
      name: v.name,
      nodeKey: v.nodeKey,
      stake: v.stake,
      p2p: v.p2p,
      rpc: v.rpc,
    })),
    observers: g.observers.map((o) => ({ nodeKey: o.nodeKey, name: o.name })),
  }
}
