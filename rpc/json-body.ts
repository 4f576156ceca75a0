/**
 * A bound on the shape of JSON bodies, checked before `JSON.parse` builds anything: V8 parses 8 MiB
 * of `[[[[…` in seconds into hundreds of MB, for a body that is refused anyway. Every route's body is
 * an object holding a string or a list of strings, so a small depth and a count of values (commas and
 * containers) bound the work; strings are skipped with `indexOf`, so a large valid batch scans fast.
 */
import { RpcError, RpcErrorCode } from './errors.ts'

export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number
  /** Most values (array items and object members, counted by separators and containers). */
  readonly maxValues: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Throws RPC_JSON_TOO_COMPLEX when `text` nests or counts past the limits; syntax is JSON.parse's job. */
export function checkJsonShape(text: string, limits: JsonShapeLimits): void {
  let depth = 0
  let values = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      // To the closing quote: the next one not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1)
      for (;;) {
        if (end === -1) return // unterminated: JSON.parse refuses it
        let slashes = 0
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++
        if (slashes % 2 === 0) break
        end = text.indexOf('"', end + 1)
      }
      i = end
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) throw tooComplex(`nested deeper than ${limits.maxDepth}`)
      if (++values > limits.maxValues) throw tooComplex(`more than ${limits.maxValues} values`)
    } else if (c === 0x5d || c === 0x7d) depth--
    else if (c === 0x2c && ++values > limits.maxValues)
      throw tooComplex(`more than ${limits.maxValues} values`)
  }
}

const tooComplex = (what: string) => new RpcError(RpcErrorCode.jsonTooComplex, `JSON body ${what}`)
