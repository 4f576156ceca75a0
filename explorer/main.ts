/**
 * The explorer's entry (bundled by node/explorer-bundle.ts, served at /explorer by every node): the
 * SDK's ArcadeClient on this node's own RPC (same origin, nothing else is fetched), the header with its
 * navigation, search box and language toggle, and the hash router that renders one page at a time.
 */
import { ArcadeClient, type PointInfo } from '../client/index.ts'
import type { PageContext } from './context.ts'
import { fill, h } from './dom.ts'
import { initialLang, LANGS, type Lang, type MessageKey, rememberLang, translator } from './i18n.ts'
import { renderAccount } from './pages/account.ts'
import { renderBlock } from './pages/block.ts'
import { renderHome } from './pages/home.ts'
import { renderMerchant, renderMerchants } from './pages/merchants.ts'
import { renderPoint, renderPoints } from './pages/points.ts'
import { renderStatements } from './pages/statements.ts'
import { renderTraffic } from './pages/traffic.ts'
import { renderTrust } from './pages/trust.ts'
import { renderTx } from './pages/tx.ts'
import { renderValidators } from './pages/validators.ts'
import { renderReconcile } from './reconcile-view.ts'
import { href, parseRoute, type Route, searchTarget } from './router.ts'
import { TrustStore } from './trust.ts'

const NAV: readonly (readonly [MessageKey, string])[] = [
  ['navHome', href.home()],
  ['navPoints', href.points()],
  ['navValidators', href.validators()],
  ['navStatements', href.statements()],
  ['navReconcile', href.reconcile()],
  ['navTrust', href.trust()],
]

function page(ctx: PageContext, route: Route): Promise<void> {
  switch (route.page) {
    case 'home':
      return renderHome(ctx)
    case 'block':
      return renderBlock(ctx, route.height)
    case 'tx':
      return renderTx(ctx, route.hash)
    case 'account':
      return renderAccount(ctx, route.address)
    case 'points':
      return renderPoints(ctx)
    case 'point':
      return renderPoint(ctx, route.id)
    case 'merchants':
      return renderMerchants(ctx, route.point)
    case 'merchant':
      return renderMerchant(ctx, route.point, route.address)
    case 'traffic':
      return renderTraffic(ctx, route.point, route.day)
    case 'validators':
      return renderValidators(ctx)
    case 'statements':
      return renderStatements(ctx, route.point)
    case 'reconcile':
      return renderReconcile(ctx, route.point)
    case 'trust':
      return renderTrust(ctx)
    case 'not-found':
      fill(ctx.root, h('p', { class: 'error' }, ctx.t('notFoundPage', { path: route.path })))
      return Promise.resolve()
  }
}

function start(): void {
  const client = new ArcadeClient({ url: window.location.origin })
  const trust = new TrustStore(window.localStorage)
  let lang: Lang = initialLang(window.localStorage, navigator.language)
  let leave: (() => void)[] = []
  const header = h('header', { class: 'top' })
  const main = h('main', { id: 'main' })
  document.body.replaceChildren(header, main)

  const drawHeader = () => {
    const t = translator(lang)
    document.documentElement.lang = lang
    document.title = t('appTitle')
    const search = h('input', {
      id: 'search',
      type: 'search',
      placeholder: t('searchPlaceholder'),
      'aria-label': t('searchPlaceholder'),
      spellcheck: 'false',
    })
    const searchError = h('span', { class: 'search-error', role: 'alert' })
    const form = h(
      'form',
      {
        class: 'search',
        role: 'search',
        onsubmit: (e: Event) => {
          e.preventDefault()
          const target = searchTarget(search.value)
          if (target === null) fill(searchError, t('searchUnknown', { query: search.value }))
          else {
            fill(searchError)
            window.location.hash = target
          }
        },
      },
      search,
      h('button', { type: 'submit' }, t('searchGo')),
      searchError,
    )
    const toggle = h(
      'div',
      { class: 'lang', role: 'group', 'aria-label': t('language') },
      ...LANGS.map((l) =>
        h(
          'button',
          {
            type: 'button',
            class: l === lang ? 'active' : 'secondary',
            'data-lang': l,
            'aria-pressed': l === lang ? 'true' : 'false',
            onclick: () => {
              lang = l
              rememberLang(window.localStorage, l)
              drawHeader()
              render()
            },
          },
          l === 'ja' ? '日本語' : 'English',
        ),
      ),
    )
    fill(
      header,
      h('a', { class: 'brand', href: href.home() }, t('appTitle')),
      h('nav', {}, ...NAV.map(([key, to]) => h('a', { href: to }, t(key)))),
      form,
      toggle,
    )
  }

  const render = () => {
    for (const fn of leave) fn()
    leave = []
    const root = h('div', { class: 'page' })
    main.replaceChildren(root)
    let points: Promise<readonly PointInfo[]> | null = null
    const ctx: PageContext = {
      client,
      lang,
      t: translator(lang),
      trust,
      root,
      onLeave: (fn) => leave.push(fn),
      points: () => {
        points ??= client.points()
        return points
      },
    }
    const route = parseRoute(window.location.hash)
    root.dataset.page = route.page
    page(ctx, route).catch((err: unknown) => {
      fill(root, h('p', { class: 'error' }, String(err)))
    })
  }

  drawHeader()
  window.addEventListener('hashchange', render)
  render()
}

start()
