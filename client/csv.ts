/** The CSV the shop tools read (traffic files, anchor batches): one line at a time, cells untrimmed. */

/** One CSV line into its cells: `"` quotes a cell, `""` inside quotes is one `"`. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cell)
      cell = ''
    } else cell += c
  }
  out.push(cell)
  return out
}
