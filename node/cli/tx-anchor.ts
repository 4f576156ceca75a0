/**
 * `arcade tx anchor`: a shop anchors the Merkle root of a batch of off-ledger traffic instead of
 * recording every event (client/anchors.ts, protocol/traffic-leaf.ts). It writes the batch file first
 * (the events in leaf order and the root: what the shop proves any event from later, with
 * `arcade traffic prove`), then submits traffic.anchor. Not a command group itself (tx.ts).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import {
  operations,
  readTrafficBatch,
  type TrafficBatch,
  toHex,
  trafficBatchToJson,
} from '../../client/index.ts'
import { type CliArgs, type CliIo, flag, requiredString, stringOption, UsageError } from './command.ts'
import type { TxSpec } from './tx-spec.ts'
import { opt, POINT, pointArg as point } from './wallet.ts'

const DETAILS =
  'FILE: a JSON array of events, {"events": [...]}, a batch file (the shop’s log exported in that\n' +
  'format: its root is checked), or CSV with a header row. Fields: eventId (1 to 64 characters), kind\n' +
  '(visit, view, click, purchase), pseudonym (the customer’s arc1… pseudonym in the point, or empty),\n' +
  'amount (purchases only; default 0), timeMs (ms since the epoch), and point and merchant (default\n' +
  '--point and --merchant). The order of the file is the order of the leaves. The batch file (default\n' +
  'FILE with .batch.json) holds the events and the root: keep it, it is what proves an event later\n' +
  '(arcade traffic prove). The ledger keeps the root, the count, the period (earliest to latest event\n' +
  'time), the height and the tx hash; each root once per point (STATE_ANCHOR_EXISTS).'

/** Where the batch file goes: --out, else next to the events file. */
function batchPath(args: CliArgs, io: CliIo, input: string): string {
  const out = stringOption(args, 'out')
  if (out !== undefined) return resolve(io.cwd, out)
  if (input.endsWith('.batch.json')) return input
  return join(dirname(input), `${basename(input, extname(input))}.batch.json`)
}

/** Writes the batch file; an existing different file is kept unless --force. */
async function writeBatch(path: string, batch: TrafficBatch, force: boolean): Promise<void> {
  const text = `${JSON.stringify(trafficBatchToJson(batch), null, 2)}\n`
  let existing: string | null = null
  try {
    existing = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (existing === text) return
  if (existing !== null && !force) {
    // The same batch (its own root) read back as the input: nothing to write.
    try {
      if (toHex(readTrafficBatch(existing).root) === toHex(batch.root)) return
    } catch {
      // not a batch file of these events: refuse below
    }
    throw new UsageError(`${path} exists and holds another batch: give --out FILE, or --force`)
  }
  await writeFile(path, text)
}

export const anchorSpecs: TxSpec[] = [
  {
    name: 'anchor',
    summary:
      'Anchor the Merkle root of a batch of off-ledger traffic (merchant or terminal); writes the batch file',
    usage: '--point ID --file FILE [--merchant ADDRESS] [--out BATCH-FILE] [--force]',
    details: DETAILS,
    options: {
      ...POINT,
      file: opt('FILE', 'the events: .json or .csv'),
      merchant: opt('ADDRESS', 'the shop (default: the signer; a terminal names its merchant)'),
      out: opt('FILE', 'write the batch file here (default: FILE with .batch.json)'),
      force: { type: 'boolean', description: 'overwrite a batch file that holds another batch' },
    },
    build: async ({ args, io, wallet }) => {
      const p = point(args)
      const input = resolve(io.cwd, requiredString(args, 'file'))
      let text: string
      try {
        text = await readFile(input, 'utf8')
      } catch {
        throw new UsageError(`--file: cannot read ${input}`)
      }
      const merchant = stringOption(args, 'merchant') ?? wallet.address
      const batch = readTrafficBatch(text, { point: p, merchant })
      const path = batchPath(args, io, input)
      await writeBatch(path, batch, flag(args, 'force'))
      if (!flag(args, 'json')) {
        io.out(
          `batch ${path}: ${batch.count} events, root ${toHex(batch.root)}, ` +
            `period ${batch.periodStartMs} to ${batch.periodEndMs}\n`,
        )
      }
      return operations.anchorTraffic(batch)
    },
  },
]
