/**
 * Reads of who signed what, for end-to-end tests of a changing validator set: the signers of a
 * block's commit certificate, the first block a given node key signs from some height on, and the
 * validator set a node reports (with the next epoch's projection). Everything goes through the RPC
 * routes any client has (`/v1/blocks/:h`, `/v1/validators`).
 */
import type { BlockJson, TestNetwork } from './network.ts'
import { getJson, waitFor } from './processes.ts'

export interface ValidatorItemJson {
  readonly nodeKey: string
  readonly power: number
  readonly association: string | null
  readonly jailed: boolean
}

export interface ValidatorsJson {
  readonly height: number
  readonly totalPower: number
  readonly items: readonly ValidatorItemJson[]
  readonly nextEpoch: {
    readonly fromHeight: number
    readonly totalPower: number
    readonly items: readonly ValidatorItemJson[]
  }
}

/** `GET /v1/validators` of a node: the set for its next height and the next epoch's projection. */
export function validatorsOf(net: TestNetwork, name: string): Promise<ValidatorsJson> {
  return getJson<ValidatorsJson>(`${net.url(name)}/v1/validators`)
}

/** The `arcnode1…` keys that signed block `height`'s commit certificate (null until it is known). */
export async function certificateSigners(
  net: TestNetwork,
  name: string,
  height: number,
): Promise<string[] | null> {
  const block: BlockJson = await net.block(name, height)
  return block.certificate === null ? null : block.certificate.signers.map((s) => s.validator)
}

/**
 * The first height from `fromHeight` on whose commit certificate (as `name` serves it) carries
 * `nodeKey`'s signature, scanning blocks as they are certified; fails after `timeoutMs`.
 */
export async function firstSignedBy(
  net: TestNetwork,
  name: string,
  nodeKey: string,
  fromHeight: number,
  timeoutMs: number,
): Promise<number> {
  let next = fromHeight
  return waitFor(
    `a certificate signed by ${nodeKey.slice(0, 16)}… from height ${fromHeight}`,
    async () => {
      for (;;) {
        if ((await net.height(name)) < next) return undefined
        const signers = await certificateSigners(net, name, next)
        if (signers === null) return undefined
        if (signers.includes(nodeKey)) return next
        next++
      }
    },
    timeoutMs,
    50,
  )
}
