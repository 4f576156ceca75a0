/**
 * Plain DOM helpers: elements are built with `h()`, text always as text nodes (never HTML), so data
 * from the node cannot inject markup. Hashes and addresses keep their full text in the DOM (a copy
 * gets all of it) and are shortened on screen by CSS only.
 */
import type { Translate } from './i18n.ts'

export type Child = Node | string | number | null | undefined | false
type Attrs = Readonly<Record<string, string | number | boolean | undefined | ((e: Event) => void)>>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly (Child | readonly Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

export function append(el: Node, children: readonly (Child | readonly Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: readonly (Child | readonly Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

export const link = (href: string, ...children: Child[]) => h('a', { href }, ...children)

/**
 * A hash, key or address in monospace: the whole value is in the DOM and in the title (select or copy
 * it whole), CSS shortens it on screen; with `href`, a link; a copy button where the clipboard exists.
 */
export function mono(value: string, t: Translate, opts: { href?: string; full?: boolean } = {}): HTMLElement {
  const text = h('span', { class: opts.full ? 'mono full' : 'mono', title: value }, value)
  const main = opts.href === undefined ? text : h('a', { href: opts.href, class: 'mono-link' }, text)
  const clipboard = (navigator as Partial<Navigator>).clipboard
  if (clipboard === undefined) return h('span', { class: 'mono-wrap' }, main)
  const button = h(
    'button',
    {
      type: 'button',
      class: 'copy',
      title: t('copy'),
      'aria-label': t('copy'),
      onclick: () => {
        void clipboard.writeText(value).then(() => {
          button.textContent = t('copied')
        })
      },
    },
    t('copy'),
  )
  return h('span', { class: 'mono-wrap' }, main, button)
}

/** A table with a header row; each row is a list of cells. */
export type Cell = Child | readonly Child[]

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], cls = ''): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: cls },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  )
}

/** A two-column table of labelled values. */
export function facts(pairs: readonly (readonly [string, Child | readonly Child[]])[]): HTMLElement {
  return h(
    'table',
    { class: 'facts' },
    h('tbody', {}, ...pairs.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
  )
}

export const section = (title: string, ...children: (Child | readonly Child[])[]) =>
  h('section', { class: 'card' }, h('h2', {}, title), ...children)

export const empty = (text: string) => h('p', { class: 'muted' }, text)

/** The code and message of an error (an SDK error has a stable code; anything else shows its text). */
export function errorParts(err: unknown): { code: string; message: string; status: number | null } {
  const e = err as { code?: unknown; message?: unknown; status?: unknown }
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
    status: typeof e?.status === 'number' ? e.status : null,
  }
}

export function errorBox(err: unknown, t: Translate): HTMLElement {
  const { code, message } = errorParts(err)
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, `${t('error')}: ${code}`), ' ', message)
}

export const badge = (text: string, kind: 'ok' | 'bad' | 'neutral') =>
  h('span', { class: `badge ${kind}` }, text)
