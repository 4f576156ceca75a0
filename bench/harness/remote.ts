/**
 * `--remote URL,…`: a network that already runs elsewhere, driven through its RPC with a funded
 * manager key (an admin + issuer account, such as a devnet's keys/manager.json). Nothing is spawned
 * or stopped; each run creates its own point, so runs on one chain never collide. The nodes' CPU comes
 * from their /metrics (stages.ts), not from /proc.
 */
import { readKeyFile } from '../../node/keys.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { getJson } from './http.ts'
import type { Network } from './network.ts'

interface Status {
  readonly chainId: string
  readonly height: number
  readonly role: 'validator' | 'observer'
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

/** A point id no earlier run on the chain used: `B` and 11 base-36 characters of the time and chance. */
export function remotePointId(nowMs: number, random: () => number): string {
  const time = nowMs.toString(36).toUpperCase().slice(-8).padStart(8, '0')
  const noise = Math.floor(random() * 36 ** 3)
    .toString(36)
    .toUpperCase()
    .padStart(3, '0')
  return `B${time}${noise}`
}

/** Node names from their RPC URLs (host:port), which is what an operator knows them by. */
export function remoteNodeName(rpcUrl: string): string {
  return new URL(rpcUrl).host
}

export function isLoopback(rpcUrl: string): boolean {
  return LOOPBACK.test(new URL(rpcUrl).hostname)
}

export async function connectRemote(urls: readonly string[], managerKeyFile: string): Promise<Network> {
  const key = await readKeyFile(managerKeyFile)
  const statuses = await Promise.all(
    urls.map(async (url) => {
      try {
        return await getJson<Status>(`${url}/v1/status`)
      } catch (err) {
        throw new BenchError(
          BenchErrorCode.nodeStartFailed,
          `${url} does not answer /v1/status: ${(err as Error).message}`,
          { node: url },
        )
      }
    }),
  )
  const chainId = (statuses[0] as Status).chainId
  const other = statuses.findIndex((s) => s.chainId !== chainId)
  if (other >= 0)
    throw new BenchError(
      BenchErrorCode.nodeStartFailed,
      `${urls[other]} is on chain ${(statuses[other] as Status).chainId}, not ${chainId}`,
      { node: urls[other] },
    )
  const first = urls[0] as string
  const [validators, params] = await Promise.all([
    getJson<{ items: readonly unknown[] }>(`${first}/v1/validators`),
    getJson<{ current: { maxTxValidityBlocks: number } }>(`${first}/v1/params`),
  ])
  return {
    chainId,
    manager: { publicKey: key.publicKey, secretKey: key.secretKey },
    nodes: urls.map((url, i) => ({
      name: remoteNodeName(url),
      role: (statuses[i] as Status).role,
      rpcUrl: url,
      pid: null,
    })),
    validators: validators.items.length,
    txValidityBlocks: params.current.maxTxValidityBlocks,
    point: remotePointId(Date.now(), Math.random),
    loopback: urls.every(isLoopback),
    stop: async () => {},
  }
}
