import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSse } from './stream.ts'
import { parseTrafficFile } from './traffic-file.ts'

describe('parseSse', () => {
  it('splits frames, skips comments and unknown events, and keeps an unfinished tail', () => {
    const text =
      ': connected\n\n' +
      'event: block\nid: 7\ndata: {"height":7,"hash":"00","timeMs":1,"txCount":0}\n\n' +
      'event: other\ndata: {}\n\n' +
      'event: receipt\r\nid: 7:0\r\ndata: {"txHash":"ab",\r\ndata: "index":0}\r\n\r\n' +
      'event: block\nid: 8\ndata: {"hei'
    const { events, rest } = parseSse(text)
    expect(events).toEqual([
      { type: 'block', id: '7', data: { height: 7, hash: '00', timeMs: 1, txCount: 0 } },
      { type: 'receipt', id: '7:0', data: { txHash: 'ab', index: 0 } },
    ])
    expect(rest).toBe('event: block\nid: 8\ndata: {"hei')
    expect(parseSse(`${rest}ght":8}\n\n`).events).toEqual([{ type: 'block', id: '8', data: { height: 8 } }])
  })

  it("reads the server's reason for dropping the stream", () => {
    const text = 'event: dropped\ndata: {"code":"RPC_STREAM_LAGGING","message":"too slow"}\n\n'
    expect(parseSse(text)).toEqual({
      events: [],
      rest: '',
      dropped: { code: 'RPC_STREAM_LAGGING', message: 'too slow' },
    })
  })
})

describe('parseTrafficFile', () => {
  it('reads JSON and CSV, hashing raw identities with the salt and checking every field', () => {
    const json = parseTrafficFile(
      JSON.stringify([{ eventId: 'a', kind: 'view', customerHash: '11'.repeat(32) }]),
    )
    expect(json[0]).toMatchObject({ eventId: 'a', kind: 'view', account: null, amount: 0 })
    const csv = parseTrafficFile('eventId,kind,customer,amount\n"x,1",purchase,bob,900\n', { salt: 's' })
    expect(csv[0]).toMatchObject({ eventId: 'x,1', kind: 'purchase', amount: 900 })
    const again = parseTrafficFile('eventId,kind,customer\ny,visit,bob\n', { salt: 's' })
    expect(again[0]?.customerHash).toEqual(csv[0]?.customerHash)
    const other = parseTrafficFile('eventId,kind,customer\ny,visit,bob\n', { salt: 't' })
    expect(other[0]?.customerHash).not.toEqual(csv[0]?.customerHash)
    const bad: [string, string][] = [
      [`eventId,kind,customerHash\na,walk,${'11'.repeat(32)}`, 'events[0].kind'],
      ['eventId,kind,customer\na,visit,bob', 'events[0].customer'],
      ['[{"eventId":"a","kind":"visit","customerHash":"11","amount":1}]', 'events[0].customerHash'],
      [
        `[{"eventId":"a","kind":"visit","customerHash":"${'11'.repeat(32)}","amount":-1}]`,
        'events[0].amount',
      ],
      ['kind\nvisit', 'file'],
      ['[]', 'file'],
    ]
    for (const [text, field] of bad) {
      expect(() => parseTrafficFile(text)).toThrow(
        expect.objectContaining({
          code: 'CLIENT_INVALID_INPUT',
          details: expect.objectContaining({ field }),
        }),
      )
    }
  })
})

describe('browser safety', () => {
  it('no SDK source file imports a node: module or uses Buffer or process', () => {
    const dir = new URL('./', import.meta.url)
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    expect(sources.length).toBeGreaterThan(5)
    for (const f of sources) {
      const text = readFileSync(new URL(f, dir), 'utf8')
      expect([f, /from 'node:|\bBuffer\.|\bprocess\./.test(text)]).toEqual([f, false])
    }
  })
})
