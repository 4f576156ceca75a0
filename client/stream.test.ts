import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { encodeAddress } from '../protocol/address.ts'
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
  const pseudonym = encodeAddress(new Uint8Array(32).fill(9))
  const signature = '22'.repeat(64)
  it('reads JSON and CSV, pseudonyms and attestations, checking every field', () => {
    const json = parseTrafficFile(JSON.stringify([{ eventId: 'a', kind: 'view', pseudonym }]))
    expect(json[0]).toMatchObject({ eventId: 'a', kind: 'view', amount: 0, attestation: null })
    expect(json[0]?.pseudonym).toEqual(new Uint8Array(32).fill(9))
    const nested = parseTrafficFile(
      JSON.stringify([
        {
          eventId: 'b',
          kind: 'visit',
          pseudonym,
          attestation: { notBeforeMs: 1, notAfterMs: 2, signature },
        },
      ]),
    )
    expect(nested[0]?.attestation).toMatchObject({ notBeforeMs: 1, notAfterMs: 2 })
    const csv = parseTrafficFile(
      `eventId,kind,pseudonym,amount,notBeforeMs,notAfterMs,signature\n"x,1",purchase,${pseudonym},900,5,6,${signature}\ny,visit,,0,,,\n`,
    )
    expect(csv[0]).toMatchObject({ eventId: 'x,1', kind: 'purchase', amount: 900 })
    expect(csv[0]?.attestation).toMatchObject({ notBeforeMs: 5, notAfterMs: 6 })
    expect(csv[1]).toMatchObject({ eventId: 'y', pseudonym: null, attestation: null })
    const bad: [string, string][] = [
      [`eventId,kind,pseudonym\na,walk,${pseudonym}`, 'events[0].kind'],
      ['eventId,kind,pseudonym\na,visit,bob', 'events[0].pseudonym'],
      [`[{"eventId":"a","kind":"visit","pseudonym":"${pseudonym}","amount":-1}]`, 'events[0].amount'],
      [
        `[{"eventId":"a","kind":"visit","pseudonym":"${pseudonym}","signature":"${signature}"}]`,
        'events[0].attestation',
      ],
      [
        `[{"eventId":"a","kind":"visit","pseudonym":"${pseudonym}","notBeforeMs":1,"notAfterMs":2,"signature":"11"}]`,
        'events[0].attestation.signature',
      ],
      [
        `[{"eventId":"a","kind":"visit","notBeforeMs":1,"notAfterMs":2,"signature":"${signature}"}]`,
        'events[0].pseudonym',
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
