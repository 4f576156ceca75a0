/** The validator set (power, share, jailed), the associations behind it, and double-sign evidence. */
import type { PageContext } from '../context.ts'
import { badge, empty, errorBox, fill, h, link, mono, section, table } from '../dom.ts'
import { formatInt } from '../format.ts'
import { href } from '../router.ts'

export async function renderValidators(ctx: PageContext): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  const [validators, associations, evidence] = await Promise.allSettled([
    client.validators(),
    client.associations(),
    client.evidence({ limit: 20 }),
  ])
  const jailed = (j: boolean) => (j ? badge(t('jailedYes'), 'bad') : badge(t('jailedNo'), 'ok'))
  const validatorPart =
    validators.status === 'rejected'
      ? errorBox(validators.reason, t)
      : [
          h(
            'p',
            { class: 'muted' },
            t('totalPower', { power: formatInt(validators.value.totalPower, lang) }),
          ),
          table(
            [t('nodeKey'), t('power'), t('share'), t('association'), t('jailed')],
            validators.value.items.map((v) => [
              mono(v.nodeKey, t),
              h('span', { class: 'num' }, formatInt(v.power, lang)),
              h(
                'span',
                { class: 'num' },
                `${((100 * v.power) / Math.max(1, validators.value.totalPower)).toFixed(1)} %`,
              ),
              v.association === null
                ? t('none')
                : mono(v.association, t, { href: href.account(v.association) }),
              jailed(v.jailed),
            ]),
            'validators',
          ),
        ]
  const associationPart =
    associations.status === 'rejected'
      ? errorBox(associations.reason, t)
      : table(
          [t('name'), t('address'), t('delegated'), t('power'), t('jailed'), t('unjailFrom'), t('retired')],
          associations.value.map((a) => [
            a.name,
            mono(a.address, t, { href: href.account(a.address) }),
            h('span', { class: 'num' }, formatInt(a.delegated, lang)),
            h('span', { class: 'num' }, formatInt(a.power, lang)),
            jailed(a.jailed),
            a.unjailFromHeight === null
              ? '—'
              : link(href.block(a.unjailFromHeight), formatInt(a.unjailFromHeight, lang)),
            a.retired ? t('yes') : t('no'),
          ]),
        )
  const evidencePart =
    evidence.status === 'rejected'
      ? errorBox(evidence.reason, t)
      : evidence.value.length === 0
        ? empty(t('noEvidence'))
        : table(
            [t('height'), t('evidence')],
            evidence.value.map((e) => [
              link(href.block(e.height), formatInt(e.height, lang)),
              h('pre', { class: 'json' }, JSON.stringify(e.evidence, null, 2)),
            ]),
          )
  fill(
    ctx.root,
    h('h1', {}, t('validators')),
    section(t('validators'), validatorPart),
    section(t('associations'), associationPart),
    section(t('evidence'), evidencePart),
  )
}
