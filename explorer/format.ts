/** Numbers, amounts and times for display, in the chosen language's conventions. */
import type { Lang } from './i18n.ts'

const locale = (lang: Lang) => (lang === 'ja' ? 'ja-JP' : 'en-GB')

export const formatInt = (n: number, lang: Lang): string => n.toLocaleString(locale(lang))

/** An amount in the smallest unit shown with the point's decimals (exact: integer arithmetic on text). */
export function formatAmount(amount: number, decimals: number, lang: Lang): string {
  if (decimals <= 0) return formatInt(amount, lang)
  const negative = amount < 0
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0')
  const whole = Number(digits.slice(0, -decimals))
  const fraction = digits.slice(-decimals)
  return `${negative ? '−' : ''}${formatInt(whole, lang)}.${fraction}`
}

export function formatTime(ms: number, lang: Lang): string {
  return new Date(ms).toLocaleString(locale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

export const shortHex = (hex: string): string => (hex.length > 16 ? `${hex.slice(0, 16)}…` : hex)

const DAY_MS = 86_400_000
const JST_OFFSET_MS = 9 * 3_600_000

/** The JST day number of an instant, as the ledger counts traffic days: floor((timeMs + 9 h) / 1 day). */
export const jstDay = (timeMs: number): number => Math.floor((timeMs + JST_OFFSET_MS) / DAY_MS)

/** A JST day number as its date in Japan, YYYY-MM-DD. */
export const formatDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)
