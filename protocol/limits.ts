/**
 * Hard size limits, checked before any decoding allocates. Chain parameters in genesis may set lower
 * limits (for example maxBlockBytes); these are the ceilings no configuration can raise.
 */
export const Limits = {
  /** One signed tx on the wire (a traffic batch of 500 events fits). */
  maxTxBytes: 128 * 1024,
  /** One block with its txs, certificate and evidence. */
  maxBlockBytes: 16 * 1024 * 1024,
  /** One consensus message (a proposal carries a whole block). */
  maxConsensusMessageBytes: 17 * 1024 * 1024,
  /** Validators in one set. */
  maxValidators: 256,
  /** Chain id text. */
  maxChainIdLength: 64,
} as const
