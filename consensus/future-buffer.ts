/**
 * Signed messages for the next height, kept until this node gets there, with each member's usage in
 * messages and bytes. Immutable from the caller's point of view and O(1) per message (a journal, see
 * journal.ts). The admission rules (who, how many, how large) are the machine's: machine-future.ts.
 */
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { append, countBelow, emptyVersion, entries, type JournalKind, type Version } from './journal.ts'

export interface Buffered {
  readonly message: ConsensusMessage
  /** The member whose connection delivered it (its signer). */
  readonly from: string
  /** Its weight (consensusMessageWeight). */
  readonly bytes: number
}

interface SenderIndex {
  /** Positions of the sender's messages, ascending, and its bytes summed up to each. */
  readonly positions: number[]
  readonly bytes: number[]
}

type FutureIndex = Map<string, SenderIndex>

const kind: JournalKind<Buffered, FutureIndex> = {
  createIndex: () => new Map(),
  index(index, entry, pos) {
    let sender = index.get(entry.from)
    if (sender === undefined) {
      sender = { positions: [], bytes: [] }
      index.set(entry.from, sender)
    }
    sender.bytes.push((sender.bytes.at(-1) ?? 0) + entry.bytes)
    sender.positions.push(pos)
  },
}

export type FutureBuffer = Version<Buffered, FutureIndex>

export const emptyFutureBuffer: FutureBuffer = emptyVersion(kind)

/** What `from` holds in this version of the buffer. */
export function usageOf(buffer: FutureBuffer, from: string): { messages: number; bytes: number } {
  const sender = buffer.journal.index.get(from)
  if (sender === undefined) return { messages: 0, bytes: 0 }
  const n = countBelow(sender.positions, buffer.length)
  return { messages: n, bytes: n === 0 ? 0 : (sender.bytes[n - 1] as number) }
}

export function withBuffered(buffer: FutureBuffer, entry: Buffered): FutureBuffer {
  return append(kind, buffer, entry)
}

export function bufferedMessages(buffer: FutureBuffer): readonly Buffered[] {
  return entries(buffer)
}

/** What `from` holds in this version, oldest first (at most its allowance of messages). */
export function bufferedFrom(buffer: FutureBuffer, from: string): Buffered[] {
  const sender = buffer.journal.index.get(from)
  if (sender === undefined) return []
  const n = countBelow(sender.positions, buffer.length)
  return sender.positions.slice(0, n).map((p) => buffer.journal.log[p] as Buffered)
}
