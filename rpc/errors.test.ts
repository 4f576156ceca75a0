import { describe, expect, it } from 'vitest'
import { ArcadeError } from '../protocol/errors.ts'
import { RpcError, RpcErrorCode, statusOfCode, toErrorResponse } from './errors.ts'

describe('the error catalogue', () => {
  it('gives every rpc code a distinct value and a 4xx/5xx status', () => {
    const values = Object.values(RpcErrorCode)
    expect(new Set(values).size).toBe(values.length)
    for (const code of values) expect(statusOfCode(code)).toBeGreaterThanOrEqual(400)
  })

  it.each([
    ['PROTOCOL_MALFORMED', 400],
    ['PROTOCOL_BAD_SIGNATURE', 400],
    ['PROTOCOL_TOO_LARGE', 413],
    ['CERT_NO_QUORUM', 400],
    ['STATE_INSUFFICIENT_BALANCE', 422],
    ['MEMPOOL_FULL', 503],
    ['MEMPOOL_DUPLICATE', 409],
    ['MEMPOOL_EXPIRED', 422],
    ['MEMPOOL_QUOTA_EXHAUSTED', 422],
    ['STATE_TX_ALREADY_INCLUDED', 409],
    ['STATE_POINT_NOT_FOUND', 404],
    ['MEMPOOL_SENDER_QUEUE_FULL', 503],
    ['SOMETHING_NEW', 400],
    ['STATE_TX_DUPLICATE', 409],
    ['STATE_WRONG_CHAIN', 400],
    ['STATE_NO_QUOTA', 422],
    ['MEMPOOL_CLOSED', 503],
    ['MEMPOOL_BATCH_TOO_LARGE', 413],
    [RpcErrorCode.readOnly, 403],
    [RpcErrorCode.rateLimited, 429],
    [RpcErrorCode.tooManyWaits, 429],
    [RpcErrorCode.tooManyStreams, 429],
    [RpcErrorCode.signerRateLimited, 429],
    [RpcErrorCode.signatureCreditExhausted, 429],
    [RpcErrorCode.jsonTooComplex, 400],
    [RpcErrorCode.unsupportedMediaType, 415],
    [RpcErrorCode.internal, 500],
  ])('maps %s to %i', (code, status) => {
    expect(statusOfCode(code)).toBe(status)
  })

  it('never answers a coded error with a 5xx unless the code says so', () => {
    const res = toErrorResponse(new ArcadeError('WHATEVER_ODD', 'x'))
    expect(res).toEqual({ status: 400, body: { code: 'WHATEVER_ODD', message: 'x' } })
  })

  it('re-codes framework errors by status and hides uncoded bugs behind RPC_INTERNAL', () => {
    expect(
      toErrorResponse({ statusCode: 413, message: 'too big', code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
    ).toMatchObject({
      status: 413,
      body: { code: RpcErrorCode.bodyTooLarge },
    })
    expect(
      toErrorResponse({ statusCode: 400, validation: [], message: 'body/tx must be string' }).body.code,
    ).toBe(RpcErrorCode.badRequest)
    expect(toErrorResponse(new TypeError('secret internals'))).toEqual({
      status: 500,
      body: { code: RpcErrorCode.internal, message: 'internal error' },
    })
    expect(toErrorResponse('a string').status).toBe(500)
    expect(toErrorResponse(new RpcError(RpcErrorCode.txNotFound, 'no')).status).toBe(404)
  })
})
