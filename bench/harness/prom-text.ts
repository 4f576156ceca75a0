/**
 * The Prometheus text exposition format (what a node serves at GET /metrics), read into samples: one
 * per line that is not a comment, with its labels unescaped. Enough for the bench's scrapes (sums of
 * histograms and counters); exemplars and OpenMetrics extras are not expected and not read.
 */

export interface PromSample {
  /** The sample's full name (`…_sum`, `…_count`, `…_bucket` for a histogram's series). */
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

/** A sample value; the special ones in any case (prom-client writes `Nan`, Go's parser reads either). */
function numberOf(text: string): number {
  const special = text.toLowerCase()
  if (special === '+inf' || special === 'inf') return Number.POSITIVE_INFINITY
  if (special === '-inf') return Number.NEGATIVE_INFINITY
  if (special === 'nan') return Number.NaN
  const n = Number(text)
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(text)}`)
  return n
}

/** Reads `{a="x",b="y\"z"}` from `at` (the opening brace); returns the labels and the index after `}`. */
function labelsAt(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let i = at + 1
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++
    if (line[i] === '}') return { labels, end: i + 1 }
    const name = NAME.exec(line.slice(i))?.[0]
    if (name === undefined || line[i + name.length] !== '=' || line[i + name.length + 1] !== '"')
      throw new Error(`malformed labels: ${line}`)
    i += name.length + 2
    let value = ''
    for (;;) {
      const c = line[i]
      if (c === undefined) throw new Error(`unterminated label value: ${line}`)
      i++
      if (c === '"') break
      if (c !== '\\') {
        value += c
        continue
      }
      const e = line[i++]
      value += e === 'n' ? '\n' : (e ?? '')
    }
    labels[name] = value
  }
}

/** Every sample in the text, in order. Throws on a line that is not a comment and not a sample. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const name = NAME.exec(line)?.[0]
    if (name === undefined) throw new Error(`not a sample: ${line}`)
    let rest = name.length
    let labels: Record<string, string> = {}
    if (line[rest] === '{') {
      const read = labelsAt(line, rest)
      labels = read.labels
      rest = read.end
    }
    // The value, then an optional timestamp (ignored).
    const [value = ''] = line.slice(rest).trim().split(/\s+/)
    out.push({ name, labels, value: numberOf(value) })
  }
  return out
}

/**
 * The sum of the samples named `name` (over every label set `keep` accepts), or null when there is
 * none: a metric the node does not export is not the same as zero.
 */
export function sumOf(
  samples: readonly PromSample[],
  name: string,
  keep: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): number | null {
  let sum: number | null = null
  for (const s of samples) if (s.name === name && keep(s.labels)) sum = (sum ?? 0) + s.value
  return sum
}
