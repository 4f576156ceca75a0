/**
 * The reconciliation page: runs the SDK's `reconcilePoint` (client/reconcile.ts) for a point in the
 * browser, optionally at a height, with the user's trust root for the proofs; shows every check and
 * the first discrepancy, and offers the report as a JSON download.
 */
import { type ArcadeClient, type ReconcileReport, reconcilePoint } from '../client/index.ts'
import type { PageContext } from './context.ts'
import { badge, empty, errorBox, facts, fill, h, section, table } from './dom.ts'
import { fieldValue } from './events.ts'
import { formatInt } from './format.ts'

export type ReconcileFn = (
  client: ArcadeClient,
  options: Parameters<typeof reconcilePoint>[1],
) => Promise<ReconcileReport>

function reportView(ctx: PageContext, report: ReconcileReport): HTMLElement {
  const { t, lang } = ctx
  const json = `${JSON.stringify(report, null, 2)}\n`
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }))
  ctx.onLeave(() => URL.revokeObjectURL(url))
  const first = report.firstDiscrepancy
  return h(
    'div',
    { id: 'reconcile-report' },
    facts([
      [t('status'), report.ok ? badge(t('reportOk'), 'ok') : badge(t('reportBroken'), 'bad')],
      [t('point'), report.point],
      [t('height'), formatInt(report.height, lang)],
      [t('rows'), formatInt(report.rows, lang)],
      [t('merchants'), formatInt(report.merchants, lang)],
      [t('proofsVerified'), report.proofsVerified ? t('yes') : t('no')],
    ]),
    first === null ? null : h('p', { class: 'bad-text' }, t('firstDiscrepancy', { name: first.name })),
    report.checks.length === 0
      ? empty(t('none'))
      : table(
          [t('check'), t('status'), t('expected'), t('actual'), t('detail')],
          report.checks.map((c) => [
            c.name,
            c.ok ? badge('✔', 'ok') : badge('✘', 'bad'),
            fieldValue(c.expected, t),
            fieldValue(c.actual, t),
            c.detail ?? '',
          ]),
        ),
    h(
      'p',
      {},
      h(
        'a',
        { class: 'button', href: url, download: `reconcile-${report.point}-${report.height}.json` },
        t('downloadReport'),
      ),
    ),
  )
}

export async function renderReconcile(
  ctx: PageContext,
  initialPoint?: string,
  reconcile: ReconcileFn = reconcilePoint,
): Promise<void> {
  const { t, client } = ctx
  const points = await ctx.points().catch(() => [])
  const ids = points.map((p) => p.id)
  if (initialPoint !== undefined && !ids.includes(initialPoint)) ids.unshift(initialPoint)
  const point = h(
    'select',
    { id: 'reconcile-point' },
    ...ids.map((id) => h('option', { value: id, selected: id === initialPoint }, id)),
  )
  const atHeight = h('input', { id: 'reconcile-height', type: 'number', min: 1, step: 1, size: 10 })
  const useTrust = h('input', { id: 'reconcile-trust', type: 'checkbox', checked: ctx.trust.get() !== null })
  const out = h('div', {})
  const run = h(
    'button',
    {
      type: 'button',
      id: 'reconcile-run',
      onclick: async () => {
        run.disabled = true
        fill(out, t('running'))
        try {
          const light = useTrust.checked ? ctx.trust.lightClient(client) : null
          const height = atHeight.value === '' ? undefined : Number(atHeight.value)
          const report = await reconcile(client, {
            point: point.value,
            ...(height === undefined ? {} : { atHeight: height }),
            ...(light === null ? {} : { trust: await light }),
          })
          fill(out, reportView(ctx, report))
        } catch (err) {
          fill(out, errorBox(err, t))
        } finally {
          run.disabled = false
        }
      },
    },
    t('run'),
  )
  fill(
    ctx.root,
    h('h1', {}, t('reconcile')),
    section(
      t('reconcile'),
      h('p', { class: 'muted' }, t('reconcileHelp')),
      h(
        'div',
        { class: 'form-row' },
        h('label', {}, t('point'), ' ', point),
        h('label', {}, t('atHeight'), ' ', atHeight),
        h('label', {}, useTrust, ' ', t('useTrust')),
        run,
      ),
      out,
    ),
  )
}
