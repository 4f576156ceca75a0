/**
 * Statements of a point for a period (YYYY-MM or YYYY-MM-DD) in a time zone: download links to the
 * settlement statement (GET /v1/points/:id/statement) and the sponsor usage (…/sponsor-usage), as JSON
 * or CSV, and a "show hash" that fetches one, shows the node's `x-statement-sha256` header and checks
 * it against the SHA-256 of the body computed here. A route that answers an error shows that error.
 */
import { toHex } from '../../client/index.ts'
import { sha256 } from '../../protocol/crypto.ts'
import type { PageContext } from '../context.ts'
import { errorParts, fill, h, section } from '../dom.ts'
import type { MessageKey } from '../i18n.ts'

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/
export const DEFAULT_TIME_ZONE = 'Asia/Tokyo'

const REPORTS: readonly { readonly path: string; readonly title: MessageKey; readonly slug: string }[] = [
  { path: 'statement', title: 'settlementStatement', slug: 'statement' },
  { path: 'sponsor-usage', title: 'sponsorUsage', slug: 'sponsor-usage' },
]
const FORMATS = ['json', 'csv'] as const

export function statementUrl(
  report: string,
  q: { point: string; period: string; timeZone: string; format: string },
): string {
  const params = new URLSearchParams({ period: q.period, timeZone: q.timeZone, format: q.format })
  return `/v1/points/${encodeURIComponent(q.point)}/${report}?${params}`
}

/** The current month in the time zone, as YYYY-MM. */
function thisMonth(timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
    }).formatToParts(new Date())
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
    return `${get('year')}-${get('month')}`
  } catch {
    return new Date().toISOString().slice(0, 7)
  }
}

async function showHash(ctx: PageContext, url: string, out: HTMLElement): Promise<void> {
  const { t } = ctx
  fill(out, t('loading'))
  out.className = 'hash-result'
  try {
    const res = await fetch(url, {
      headers: { accept: url.endsWith('csv') ? 'text/csv' : 'application/json' },
    })
    const body = new Uint8Array(await res.arrayBuffer())
    if (!res.ok) {
      let code = 'HTTP'
      let message = res.statusText
      try {
        const parsed = JSON.parse(new TextDecoder().decode(body)) as { code?: unknown; message?: unknown }
        if (typeof parsed.code === 'string') code = parsed.code
        if (typeof parsed.message === 'string') message = parsed.message
      } catch {}
      fill(out, t('routeError', { status: res.status, code, message }))
      out.className = 'hash-result bad-text'
      return
    }
    const header = res.headers.get('x-statement-sha256')
    const computed = toHex(sha256(body))
    const lines = [
      h('div', {}, header === null ? t('hashHeaderMissing') : t('hashHeader', { hash: header })),
      h('div', {}, t('hashBody', { hash: computed })),
    ]
    if (header !== null) {
      const same = header.toLowerCase() === computed
      lines.push(
        h('div', { class: same ? 'ok-text' : 'bad-text' }, same ? t('hashMatches') : t('hashDiffers')),
      )
    }
    fill(out, ...lines)
  } catch (err) {
    const { code, message } = errorParts(err)
    fill(out, t('routeError', { status: '—', code, message }))
    out.className = 'hash-result bad-text'
  }
}

export async function renderStatements(ctx: PageContext, initialPoint?: string): Promise<void> {
  const { t } = ctx
  const points = await ctx.points().catch(() => [])
  const ids = points.map((p) => p.id)
  if (initialPoint !== undefined && !ids.includes(initialPoint)) ids.unshift(initialPoint)
  const point = h(
    'select',
    { id: 'statement-point' },
    ...ids.map((id) => h('option', { value: id, selected: id === initialPoint }, id)),
  )
  const timeZone = h('input', { id: 'statement-tz', value: DEFAULT_TIME_ZONE, size: 18, spellcheck: 'false' })
  const period = h('input', {
    id: 'statement-period',
    value: thisMonth(DEFAULT_TIME_ZONE),
    size: 10,
    placeholder: 'YYYY-MM',
    pattern: PERIOD.source,
    spellcheck: 'false',
  })
  const warning = h('p', { class: 'bad-text', role: 'alert' })
  const links = h('div', { id: 'statement-links' })

  const draw = () => {
    const q = {
      point: point.value,
      period: period.value.trim(),
      timeZone: timeZone.value.trim() || DEFAULT_TIME_ZONE,
    }
    if (!PERIOD.test(q.period)) {
      fill(warning, t('periodInvalid'))
      fill(links)
      return
    }
    fill(warning)
    if (q.point === '') return fill(links)
    fill(
      links,
      ...REPORTS.map((r) => {
        const out = h('div', { class: 'hash-result', 'data-report': r.slug })
        return h(
          'div',
          { class: 'report' },
          h('h3', {}, t(r.title)),
          h(
            'div',
            { class: 'actions' },
            ...FORMATS.map((format) =>
              h(
                'a',
                {
                  class: 'button',
                  href: statementUrl(r.path, { ...q, format }),
                  download: `${r.slug}-${q.point}-${q.period}.${format}`,
                  'data-report': r.slug,
                  'data-format': format,
                },
                t('download', { format: format.toUpperCase() }),
              ),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-report': r.slug,
                onclick: () => void showHash(ctx, statementUrl(r.path, { ...q, format: 'json' }), out),
              },
              t('showHash'),
            ),
          ),
          out,
        )
      }),
    )
  }
  for (const el of [point, period, timeZone]) el.addEventListener('input', draw)
  point.addEventListener('change', draw)
  fill(
    ctx.root,
    h('h1', {}, t('statements')),
    section(
      t('statements'),
      h('p', { class: 'muted' }, t('statementsHelp')),
      h(
        'div',
        { class: 'form-row' },
        h('label', {}, t('point'), ' ', point),
        h('label', {}, t('period'), ' ', period),
        h('label', {}, t('timeZone'), ' ', timeZone),
      ),
      warning,
      links,
    ),
  )
  draw()
}
