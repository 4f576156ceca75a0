/**
 * `arcade traffic prove|verify`: anchored off-ledger traffic (client/anchors.ts). The shop proves one
 * event of a batch it anchored (`arcade tx anchor` wrote the batch file); a regulator checks that
 * proof against the chain from a root it trusts (the genesis file, a checkpoint or a trust cache),
 * never the answering node's word. Exit codes of verify: 0 verified, 1 a check failed (named), 2 usage.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  type AnchoredEvent,
  ArcadeClientError,
  ClientErrorCode,
  proveTrafficEvent,
  trafficBatchFrom,
  trafficProofFrom,
} from '../../client/index.ts'
import {
  type CliArgs,
  type CliGroup,
  type CliIo,
  flag,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'
import { lightClientFrom, trustOptionsFor } from './proof-trust.ts'
import { clientFrom, connectOptions, opt, print } from './wallet.ts'

async function readJson(args: CliArgs, io: CliIo, option: string): Promise<unknown> {
  const path = resolve(io.cwd, requiredString(args, option))
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new UsageError(`--${option}: cannot read ${path}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`--${option}: ${path} is not JSON`)
  }
}

const describe = (a: AnchoredEvent): string =>
  `verified: event ${JSON.stringify(a.event.eventId)} (${a.event.kind} at ${a.event.timeMs}) is event ` +
  `${a.index + 1} of ${a.count} of the batch ${a.root}\n` +
  `  anchored by ${a.merchant} in ${a.point} at height ${a.height}, tx ${a.txHash}\n` +
  `  period ${a.periodStartMs} to ${a.periodEndMs}; proven at height ${a.provenAtHeight}, block ${a.provenBlockHash}\n`

const RPC_URL = 'the node to ask (an observer); default --rpc, $ARCADE_RPC or the local validator'

export const group: CliGroup = {
  name: 'traffic',
  summary: 'Anchored off-ledger traffic: prove an event of a batch, verify a proof against the chain',
  commands: [
    {
      name: 'prove',
      summary: 'The proof file of one event of an anchored batch (the shop, from its batch file)',
      usage: 'traffic prove --batch FILE --event-id ID [--out FILE] [--json]',
      details:
        'The batch file is the one `arcade tx anchor` wrote (or the shop’s log exported in that format); its\n' +
        'events must give its root. The proof file {format, event, proof: {index, size, path}, root} is what\n' +
        'a regulator checks with `arcade traffic verify`. Without --out it is printed.',
      options: {
        batch: opt('FILE', 'the batch file'),
        'event-id': opt('ID', 'the event to prove'),
        out: opt('FILE', 'write the proof file here'),
        json: { type: 'boolean', description: 'with --out, print JSON instead of text' },
      },
      async run(args, io) {
        const batch = trafficBatchFrom(await readJson(args, io, 'batch'))
        const proof = proveTrafficEvent(batch, requiredString(args, 'event-id'))
        const out = stringOption(args, 'out')
        const text = `${JSON.stringify(proof, null, 2)}\n`
        if (out === undefined) {
          io.out(text)
          return 0
        }
        const file = resolve(io.cwd, out)
        await writeFile(file, text)
        const summary = {
          file,
          eventId: proof.event.eventId,
          index: proof.proof.index,
          size: proof.proof.size,
        }
        print(
          args,
          io,
          { ...summary, root: proof.root },
          `proof of event ${JSON.stringify(summary.eventId)} (${summary.index + 1} of ${summary.size}) written to ${file}\n`,
        )
        return 0
      },
    },
    {
      name: 'verify',
      summary: "Check a proof file against the chain, trusting only the genesis (the regulator's check)",
      usage:
        'traffic verify --proof FILE (--genesis FILE | --checkpoint HEIGHT:HASH | --trust-cache FILE) ' +
        '[--url URL] [--point ID] [--json]',
      details:
        'Fetches the proof of the anchor record of the proof’s root, checks it from the trust root to a\n' +
        'commit certificate of the validators of its height, then that the anchor is of the event’s point\n' +
        'and merchant, that the event’s time is within the anchored period, that the proof’s size is the\n' +
        'anchored count, and that the event’s leaf leads to the root. Exit 0 verified; 1 with the failed\n' +
        'check (certified-proof, record, not-anchored, point, merchant, period, count, merkle-proof).',
      options: {
        proof: opt('FILE', 'the proof file (arcade traffic prove)'),
        url: opt('URL', RPC_URL),
        point: opt('ID', 'refuse an event of another point'),
        ...trustOptionsFor(''),
        ...connectOptions,
      },
      async run(args, io) {
        const proof = await readJson(args, io, 'proof')
        const url = stringOption(args, 'url')
        if (url !== undefined && stringOption(args, 'rpc') !== undefined)
          throw new UsageError('give --url or --rpc, not both')
        const client = clientFrom(
          url === undefined ? args : { ...args, values: { ...args.values, rpc: url } },
          io,
        )
        const { light, save } = await lightClientFrom(client, args, io, 'traffic verify')
        const point = stringOption(args, 'point')
        let anchored: AnchoredEvent
        try {
          anchored = await client.verifyAnchoredEvent(trafficProofFrom(proof), {
            trust: light,
            ...(point === undefined ? {} : { point }),
          })
        } catch (err) {
          if (!(err instanceof ArcadeClientError && err.code === ClientErrorCode.anchorRejected)) throw err
          const check = String(err.details.reason)
          if (flag(args, 'json'))
            io.out(`${JSON.stringify({ verified: false, check, message: err.message }, null, 2)}\n`)
          io.err(`NOT VERIFIED: check ${check} failed: ${err.message}\n`)
          await save()
          return 1
        }
        await save()
        print(args, io, { verified: true, ...anchored }, describe(anchored))
        return 0
      },
    },
  ],
}
