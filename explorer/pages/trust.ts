/** The trust-root panel: paste or upload the genesis document, or paste a checkpoint; kept in this browser. */
import type { PageContext } from '../context.ts'
import { errorParts, fill, h, section } from '../dom.ts'
import { parseTrust, type StoredTrust } from '../trust.ts'

function describe(ctx: PageContext, trust: StoredTrust | null): string {
  const { t } = ctx
  if (trust === null) return t('trustCurrentNone')
  if (trust.kind === 'genesis') return t('trustCurrentGenesis', { chainId: trust.chainId })
  return t('trustCurrentCheckpoint', { height: trust.height, hash: `${trust.blockHash.slice(0, 16)}…` })
}

export function trustPanel(ctx: PageContext, onChange: () => void = () => {}): HTMLElement {
  const { t } = ctx
  const current = h('p', { id: 'trust-current' }, describe(ctx, ctx.trust.get()))
  const message = h('p', { id: 'trust-message', role: 'status' })
  const input = h('textarea', {
    id: 'trust-input',
    rows: 5,
    spellcheck: 'false',
    placeholder: t('trustInput'),
    'aria-label': t('trustInput'),
  })
  const save = (text: string) => {
    try {
      ctx.trust.set(parseTrust(text))
      fill(message, t('trustSaved'))
      message.className = 'ok-text'
      input.value = ''
    } catch (err) {
      fill(message, t('trustInvalid', { message: errorParts(err).message }))
      message.className = 'bad-text'
    }
    fill(current, describe(ctx, ctx.trust.get()))
    onChange()
  }
  const upload = h('input', {
    type: 'file',
    id: 'trust-file',
    accept: 'application/json,.json',
    onchange: () => {
      const file = upload.files?.[0]
      if (file !== undefined) void file.text().then(save)
    },
  })
  return section(
    t('trustTitle'),
    h('p', { class: 'muted' }, t('trustHelp')),
    current,
    input,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'trust-save', onclick: () => save(input.value) }, t('trustSave')),
      h('label', { class: 'file' }, t('trustUpload'), ' ', upload),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            ctx.trust.clear()
            fill(current, describe(ctx, null))
            fill(message)
            onChange()
          },
        },
        t('trustClear'),
      ),
    ),
    message,
  )
}

export async function renderTrust(ctx: PageContext): Promise<void> {
  fill(ctx.root, h('h1', {}, ctx.t('trustTitle')), trustPanel(ctx))
}
