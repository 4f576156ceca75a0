/**
 * Signed txs for end-to-end tests and the devnet benchmark, all from the devnet's manager account
 * (admin + issuer: it may create points and sponsor itself, so no quota is involved).
 */
import { join } from 'node:path'
import { readKeyFile } from '../../node/keys.ts'
import { toHex } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { encodeTx, signTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'

export interface BuiltTx {
  readonly bytes: Uint8Array
  readonly hash: string
}

export class ManagerTxs {
  readonly key: KeyPair
  readonly chainId: string
  #nonce: number

  constructor(key: KeyPair, chainId: string, firstNonce = 1) {
    this.key = key
    this.chainId = chainId
    this.#nonce = firstNonce
  }

  static async load(devnetDir: string, chainId = 'arcade-devnet-1'): Promise<ManagerTxs> {
    return new ManagerTxs(await readKeyFile(join(devnetDir, 'keys', 'manager.json')), chainId)
  }

  /** Signs `body` as the manager, sponsoring itself; `validUntil` must be within the ledger's window. */
  sign(body: TxBody, validUntil: number): BuiltTx {
    const tx = signTx(
      {
        chainId: this.chainId,
        signer: this.key.publicKey,
        nonce: this.#nonce++,
        validUntil,
        sponsor: this.key.publicKey,
        body,
      },
      this.key.secretKey,
    )
    return { bytes: encodeTx(tx), hash: toHex(tx.hash) }
  }

  createPoint(point: string, validUntil: number): BuiltTx {
    return this.sign(
      { kind: 'point.create', point, name: `${point} points`, decimals: 0, transferable: true },
      validUntil,
    )
  }

  /** An allowance for a fresh account: always applies once the point exists, and writes state. */
  approveFresh(point: string, amount: number, validUntil: number): BuiltTx {
    return this.sign(
      { kind: 'point.approve', point, spender: generateKeyPair().publicKey, amount },
      validUntil,
    )
  }
}
