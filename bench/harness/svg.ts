/** Inline SVG line and bar charts for the HTML report: no dependency, no script. */

export interface LineSeries {
  readonly name: string
  readonly points: readonly (readonly [number, number])[]
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04']

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1
  const p = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p
  return 10 * p
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : `${Number(v.toFixed(2))}`

export function lineChart(options: {
  title: string
  xLabel: string
  yLabel: string
  series: readonly LineSeries[]
  width?: number
  height?: number
}): string {
  const w = options.width ?? 640
  const h = options.height ?? 260
  const m = { left: 56, right: 16, top: 28, bottom: 40 }
  const pts = options.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const xMax = niceMax(Math.max(1, ...pts.map((p) => p[0])))
  const yMax = niceMax(Math.max(0, ...pts.map((p) => p[1])))
  const sx = (x: number) => m.left + (x / xMax) * (w - m.left - m.right)
  const sy = (y: number) => h - m.bottom - (y / yMax) * (h - m.top - m.bottom)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="${w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  ]
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4
    out.push(
      `<line x1="${m.left}" x2="${w - m.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${fmt(y)}</text>`,
    )
    const x = (xMax * i) / 4
    out.push(
      `<text x="${sx(x)}" y="${h - m.bottom + 14}" text-anchor="middle" font-size="10">${fmt(x)}</text>`,
    )
  }
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${h - m.bottom}" stroke="#6b7280"/>`,
    `<line x1="${m.left}" x2="${w - m.right}" y1="${h - m.bottom}" y2="${h - m.bottom}" stroke="#6b7280"/>`,
    `<text x="${(w + m.left) / 2}" y="${h - 6}" text-anchor="middle" font-size="11">${escapeXml(options.xLabel)}</text>`,
    `<text x="12" y="${(h - m.bottom + m.top) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(h - m.bottom + m.top) / 2})">${escapeXml(options.yLabel)}</text>`,
  )
  options.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    if (p.length > 0) {
      const coords = p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${coords}"><title>${escapeXml(s.name)}</title></polyline>`,
      )
    }
    const lx = m.left + 8 + i * 110
    out.push(
      `<rect x="${lx}" y="${m.top - 4}" width="10" height="3" fill="${color}"/>`,
      `<text x="${lx + 14}" y="${m.top}" font-size="10">${escapeXml(s.name)}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n')
}

export function barChart(options: {
  title: string
  yLabel: string
  bars: readonly { label: string; value: number }[]
}): string {
  const w = Math.max(320, 80 + options.bars.length * 70)
  const h = 260
  const m = { left: 56, right: 16, top: 28, bottom: 56 }
  const yMax = niceMax(Math.max(0, ...options.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))))
  const bw = (w - m.left - m.right) / Math.max(1, options.bars.length)
  const sy = (y: number) => h - m.bottom - (y / yMax) * (h - m.top - m.bottom)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="${w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text x="12" y="${(h - m.bottom + m.top) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(h - m.bottom + m.top) / 2})">${escapeXml(options.yLabel)}</text>`,
    `<line x1="${m.left}" x2="${w - m.right}" y1="${h - m.bottom}" y2="${h - m.bottom}" stroke="#6b7280"/>`,
  ]
  options.bars.forEach((b, i) => {
    const v = Number.isFinite(b.value) ? b.value : 0
    const x = m.left + i * bw + bw * 0.15
    out.push(
      `<rect x="${x.toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${(h - m.bottom - sy(v)).toFixed(1)}" fill="${COLORS[0]}"><title>${escapeXml(`${b.label}: ${v}`)}</title></rect>`,
      `<text x="${(x + bw * 0.35).toFixed(1)}" y="${(sy(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(v)}</text>`,
      `<text x="${(x + bw * 0.35).toFixed(1)}" y="${h - m.bottom + 14}" text-anchor="middle" font-size="10">${escapeXml(b.label)}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n')
}
