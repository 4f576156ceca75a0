/**
 * Hash routes (`#/block/12`): the page and its parameters, and the search box's guess of what a query
 * names. Pure functions: main.ts listens for `hashchange`.
 */

export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'block'; readonly height: number }
  | { readonly page: 'tx'; readonly hash: string }
  | { readonly page: 'account'; readonly address: string }
  | { readonly page: 'points' }
  | { readonly page: 'point'; readonly id: string }
  | { readonly page: 'merchants'; readonly point: string }
  | { readonly page: 'merchant'; readonly point: string; readonly address: string }
  /** The point's traffic figures for one JST day number; without `day`, today's (from the chain head). */
  | { readonly page: 'traffic'; readonly point: string; readonly day?: number }
  | { readonly page: 'validators' }
  | { readonly page: 'statements'; readonly point?: string }
  | { readonly page: 'reconcile'; readonly point?: string }
  | { readonly page: 'trust' }
  | { readonly page: 'not-found'; readonly path: string }

const HEIGHT = /^[1-9]\d{0,15}$/
const HASH = /^(?:0x)?[0-9a-fA-F]{64}$/
const ADDRESS = /^arc1[02-9ac-hj-np-z]{6,}$/
const POINT = /^[A-Z][A-Z0-9]{1,11}$/
/** A JST day number (days since 1970-01-01 JST); six digits keep it within what Date can show. */
const DAY = /^(?:0|[1-9]\d{0,5})$/

export const href = {
  home: () => '#/',
  block: (height: number) => `#/block/${height}`,
  tx: (hash: string) => `#/tx/${hash}`,
  account: (address: string) => `#/account/${address}`,
  points: () => '#/points',
  point: (id: string) => `#/point/${id}`,
  merchants: (point: string) => `#/point/${point}/merchants`,
  merchant: (point: string, address: string) => `#/point/${point}/merchant/${address}`,
  traffic: (point: string, day?: number) =>
    day === undefined ? `#/point/${point}/traffic` : `#/point/${point}/traffic/${day}`,
  validators: () => '#/validators',
  statements: (point?: string) => (point === undefined ? '#/statements' : `#/statements/${point}`),
  reconcile: (point?: string) => (point === undefined ? '#/reconcile' : `#/reconcile/${point}`),
  trust: () => '#/trust',
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/'
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent)
  const [a, b, c, d] = parts
  switch (parts.length === 0 ? '' : `${a}/${parts.length}`) {
    case '':
      return { page: 'home' }
    case 'block/2':
      if (HEIGHT.test(b as string)) return { page: 'block', height: Number(b) }
      break
    case 'tx/2':
      if (HASH.test(b as string)) return { page: 'tx', hash: (b as string).replace(/^0x/, '').toLowerCase() }
      break
    case 'account/2':
      return { page: 'account', address: b as string }
    case 'points/1':
      return { page: 'points' }
    case 'point/2':
      return { page: 'point', id: b as string }
    case 'point/3':
      if (c === 'merchants') return { page: 'merchants', point: b as string }
      if (c === 'traffic') return { page: 'traffic', point: b as string }
      break
    case 'point/4':
      if (c === 'merchant') return { page: 'merchant', point: b as string, address: d as string }
      if (c === 'traffic' && DAY.test(d as string))
        return { page: 'traffic', point: b as string, day: Number(d) }
      break
    case 'validators/1':
      return { page: 'validators' }
    case 'statements/1':
      return { page: 'statements' }
    case 'statements/2':
      return { page: 'statements', point: b as string }
    case 'reconcile/1':
      return { page: 'reconcile' }
    case 'reconcile/2':
      return { page: 'reconcile', point: b as string }
    case 'trust/1':
      return { page: 'trust' }
  }
  return { page: 'not-found', path }
}

/** Where a search query leads: an address, a height, a tx hash or a point id; null when none. */
export function searchTarget(query: string): string | null {
  const q = query.trim()
  if (HEIGHT.test(q)) return href.block(Number(q))
  if (HASH.test(q)) return href.tx(q.replace(/^0x/, '').toLowerCase())
  if (ADDRESS.test(q.toLowerCase())) return href.account(q.toLowerCase())
  if (POINT.test(q)) return href.point(q)
  return null
}
