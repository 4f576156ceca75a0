/** What every page gets: the SDK client on this node, the language, the trust store, and its own root. */
import type { ArcadeClient, PointInfo } from '../client/index.ts'
import type { Lang, Translate } from './i18n.ts'
import type { TrustStore } from './trust.ts'

export interface PageContext {
  readonly client: ArcadeClient
  readonly lang: Lang
  readonly t: Translate
  readonly trust: TrustStore
  /** The page's own element: a page left while it loads writes into a detached one, harmlessly. */
  readonly root: HTMLElement
  /** Runs `fn` when the page is left (streams, timers). */
  onLeave(fn: () => void): void
  /** The points of the ledger, fetched once per page view (for names and decimals). */
  points(): Promise<readonly PointInfo[]>
}

/** The decimals of a point (0 when unknown). */
export async function decimalsOf(ctx: PageContext, point: string): Promise<number> {
  const found = (await ctx.points()).find((p) => p.id === point)
  return found?.decimals ?? 0
}
