/**
 * A ledger whose every block is committed to a memory chain store as node/chain.ts commits it (the
 * journal rows and the sponsored txs in the block's batch), served by the real Fastify routes with
 * the node's journal and statement readers behind them.
 */
import { accountsOf } from '../../node/account-index.ts'
import { journalEntriesOf, sponsoredEntriesOf } from '../../node/journal-index.ts'
import { createJournalReader } from '../../node/journal-reader.ts'
import { createStatementReader } from '../../node/statement-reader.ts'
import { type ChainStore, createMemoryChainStore } from '../../node/store/index.ts'
import { hashOf } from '../../node/store/sample-commit.ts'
import { type Bytes, utf8 } from '../../protocol/bytes.ts'
import type { SignedTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import type { ChainReader, HistoryEntry } from '../../rpc/ports.ts'
import { FakeChain, type Harness, harness } from '../../rpc/testing.ts'
import { createLedgerQuery, encodeReceipt } from '../../state/index.ts'
import { TestChain } from '../../state/test-kit.ts'

export class JournalWorld {
  readonly ledger = new TestChain()
  readonly store: ChainStore = createMemoryChainStore()
  async open(): Promise<void> {
    await this.store.open()
  }
  /** Blocks the ledger ran outside `block` (setup: they move no points) are stored without rows. */
  async catchUp(): Promise<void> {
    const head = (await this.store.head())?.height ?? 0
    for (let height = head + 1; height <= this.ledger.height; height++) {
      await this.store.commitBlock({
        height,
        blockHash: hashOf(0xbb, height),
        blockBytes: utf8(`block ${height}`),
        certificateBytes: null,
        stateWrites: [],
        txs: [],
        accountIndex: [],
      })
    }
  }
  async block(
    txs: { signer: Bytes; body: TxBody; sponsor?: Bytes }[],
    options: { timeMs?: number } = {},
  ): Promise<void> {
    await this.catchUp()
    const signed: SignedTx[] = txs.map((t) =>
      this.ledger.tx(t.signer, t.body, t.sponsor === undefined ? {} : { sponsor: t.sponsor }),
    )
    const result = this.ledger.block(signed, options)
    const height = this.ledger.height
    const timeMs = this.ledger.state.meta.timeMs
    await this.store.commitBlock({
      height,
      blockHash: hashOf(0xbb, height),
      blockBytes: utf8(`block ${height}`),
      certificateBytes: null,
      stateWrites: [],
      txs: signed.map((tx, i) => ({
        hash: tx.hash,
        receiptBytes: encodeReceipt(result.receipts[i] as never),
      })),
      accountIndex: signed.flatMap((tx, i) =>
        accountsOf(tx, result.receipts[i] as never).map((a) => ({
          account: a,
          txIndex: i,
          kind: tx.body.kind,
          error: result.receipts[i]?.error ?? null,
        })),
      ),
      journal: journalEntriesOf(
        signed,
        result.receipts,
        { height, timeMs },
        result.state,
        result.blockEvents,
      ),
      sponsored: sponsoredEntriesOf(signed, result.receipts, timeMs),
      timeMs,
    })
  }
  async run(signer: Bytes, body: TxBody, options: { timeMs?: number } = {}): Promise<void> {
    await this.block([{ signer, body }], options)
  }
  serve(): Harness {
    const journal = createJournalReader(this.store)
    const query = () => createLedgerQuery(this.ledger.state)
    const statements = createStatementReader(this.store, query)
    const chain = new FakeChain(1, () => new Uint8Array(32)) as FakeChain & ChainReader
    const store = this.store
    chain.journal = (request) => journal.page(request)
    chain.statement = (point, period) => statements.statement(point, period)
    chain.sponsorUsage = (point, period) => statements.sponsorUsage(point, period)
    ;(chain as { accountHistory: ChainReader['accountHistory'] }).accountHistory = async (address, page) => {
      const entries = await store.accountHistory(address, page)
      return Promise.all(
        entries.map(async (e): Promise<HistoryEntry> => {
          const moved = await journal.movementsOf(address, e.height, e.index, 8)
          return {
            ...e,
            status: e.error === null ? 'ok' : 'failed',
            movements: moved.rows,
            moreMovements: moved.more,
          }
        }),
      )
    }
    return harness({}, { chain, query })
  }
}
