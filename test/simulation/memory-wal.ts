/** The simulated node's WAL: survives a crash (the node keeps it across restarts), prunes by height. */
import type { WalEntry, WalPort } from '../../consensus/ports.ts'

export function memoryWal(): WalPort & { entries: WalEntry[] } {
  const wal = {
    entries: [] as WalEntry[],
    append(entry: WalEntry) {
      wal.entries.push(entry)
    },
    load() {
      return [...wal.entries]
    },
    prune(height: number) {
      wal.entries = wal.entries.filter((e) =>
        e.type === 'prepared'
          ? e.proof.certificate.height >= height
          : (e.message.type === 'vote' ? e.message.vote.height : e.message.height) >= height,
      )
    },
  }
  return wal
}
