/** Ledger events as a table: the type, then each field, with accounts linked and hashes in monospace. */
import type { LedgerEventJson } from '../client/index.ts'
import { type Child, h, mono, table } from './dom.ts'
import type { Translate } from './i18n.ts'
import { href } from './router.ts'

const ACCOUNT = /^arc1[02-9ac-hj-np-z]{6,}$/
const HEX = /^[0-9a-f]{32,}$/

export function fieldValue(value: unknown, t: Translate): Child {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, '—')
  if (typeof value === 'string' && ACCOUNT.test(value)) return mono(value, t, { href: href.account(value) })
  if (typeof value === 'string' && HEX.test(value)) return mono(value, t)
  if (typeof value === 'object') return h('code', {}, JSON.stringify(value))
  return String(value)
}

function fieldList(event: LedgerEventJson, t: Translate): HTMLElement {
  const items = Object.entries(event).filter(([k]) => k !== 'type')
  return h(
    'dl',
    { class: 'fields' },
    ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, fieldValue(v, t))]),
  )
}

/** Rows of (leading cells…, type, fields) for each event. */
export function eventsTable(
  t: Translate,
  events: readonly { readonly lead: readonly Child[]; readonly event: LedgerEventJson }[],
  leadHeaders: readonly string[] = [],
): HTMLElement {
  return table(
    [...leadHeaders, t('eventType'), t('fields')],
    events.map(({ lead, event }) => [
      ...lead,
      h('span', { class: 'event-type' }, event.type),
      fieldList(event, t),
    ]),
    'events',
  )
}
