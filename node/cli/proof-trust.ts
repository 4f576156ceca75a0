/**
 * The trust root of `arcade query proof --verify` and `arcade audit reconcile`: the chain's genesis
 * file, a checkpoint the user supplies, or a cache an earlier run wrote. The answering node's own
 * validator set is never trusted (a node can serve another chain under the same chain id). With
 * `--trust-cache FILE`, what the light client verified is written back, so the next run walks only
 * the changes since.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type ArcadeClient, LightClient, type LightClientCache } from '../../client/index.ts'
import { type CliArgs, type CliIo, type CliOption, stringOption, UsageError } from './command.ts'

/** --genesis, --checkpoint, --trust-cache, each described as `when` (e.g. "with --verify: ") says. */
export const trustOptionsFor = (when: string) =>
  ({
    genesis: { type: 'string', value: 'FILE', description: `${when}trust the chain's genesis file` },
    checkpoint: {
      type: 'string',
      value: 'HEIGHT:HASH',
      description: `${when}trust the block of that height and hash (got out of band)`,
    },
    'trust-cache': {
      type: 'string',
      value: 'FILE',
      description: `${when}start from the sets verified before, and save them after`,
    },
  }) as const satisfies Record<string, CliOption>

export const trustOptions = trustOptionsFor('with --verify: ')

const CHECKPOINT = /^([1-9]\d{0,15}):(?:0x)?([0-9a-fA-F]{64})$/

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`)
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${what} is not JSON`)
  }
}

/**
 * Builds the light client from the options; throws a UsageError when no root is given (`needer`
 * names what needs it in that message).
 */
export async function lightClientFrom(
  client: ArcadeClient,
  args: CliArgs,
  io: CliIo,
  needer = '--verify',
): Promise<{ light: LightClient; save(): Promise<void> }> {
  const genesis = stringOption(args, 'genesis')
  const checkpoint = stringOption(args, 'checkpoint')
  const cachePath = stringOption(args, 'trust-cache')
  if (genesis !== undefined && checkpoint !== undefined)
    throw new UsageError('give --genesis or --checkpoint, not both')
  const cacheFile = cachePath === undefined ? undefined : resolve(io.cwd, cachePath)
  const cached = cacheFile === undefined ? null : await readOptional(cacheFile)
  let light: LightClient
  if (cached !== null) {
    light = LightClient.fromCache(parseJson(cached, `--trust-cache ${cachePath}`) as LightClientCache)
  } else if (genesis !== undefined) {
    const text = await readOptional(resolve(io.cwd, genesis))
    if (text === null) throw new UsageError(`--genesis: no such file ${genesis}`)
    light = LightClient.fromGenesis(parseJson(text, `--genesis ${genesis}`))
  } else if (checkpoint !== undefined) {
    const m = CHECKPOINT.exec(checkpoint)
    if (m === null) throw new UsageError('--checkpoint must be HEIGHT:HASH (the block hash in hex)')
    light = await LightClient.fromCheckpoint(client, { height: Number(m[1]), blockHash: m[2] as string })
  } else {
    throw new UsageError(
      `${needer} needs a trust root: --genesis FILE or --checkpoint HEIGHT:HASH (the node's own validator set is never trusted)`,
    )
  }
  return {
    light,
    async save() {
      if (cacheFile === undefined) return
      const temporary = `${cacheFile}.tmp`
      await writeFile(temporary, `${JSON.stringify(light.toJSON(), null, 2)}\n`)
      await rename(temporary, cacheFile)
    },
  }
}
