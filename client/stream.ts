/**
 * The event stream (GET /v1/stream, Server-Sent Events) read with fetch streaming, so it works in a
 * browser, a phone webview and Node alike (EventSource cannot set headers or run in Node). Blocks and
 * receipts arrive through `onEvent`; the returned function ends the stream.
 */
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import { buildUrl, errorFromBody, type FetchFn } from './http.ts'
import type { StreamEvent } from './types.ts'

export interface SubscribeFilter {
  /** Only receipts of txs touching this account (`arc1…`); blocks always come. */
  readonly account?: string
}

export interface SubscribeHandlers {
  /** The stream is open (the server has accepted it). */
  readonly onOpen?: () => void
  /** The stream failed or the server ended it; not called after unsubscribe. */
  readonly onError?: (err: ArcadeClientError) => void
}

/** Why the server dropped the stream (its final `dropped` event), e.g. RPC_STREAM_LAGGING. */
export interface StreamDropped {
  readonly code: string
  readonly message: string
}

/** Splits SSE text into events; returns the events, the unfinished tail, and a `dropped` notice. */
export function parseSse(buffer: string): { events: StreamEvent[]; rest: string; dropped?: StreamDropped } {
  const events: StreamEvent[] = []
  let dropped: StreamDropped | undefined
  const blocks = buffer.replaceAll('\r\n', '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let name = 'message'
    let id = ''
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const at = line.indexOf(':')
      const field = at === -1 ? line : line.slice(0, at)
      const value = at === -1 ? '' : line.slice(at + 1).replace(/^ /, '')
      if (field === 'event') name = value
      else if (field === 'id') id = value
      else if (field === 'data') data.push(value)
    }
    if (name === 'dropped' && data.length > 0) {
      try {
        const d = JSON.parse(data.join('\n')) as { code?: unknown; message?: unknown }
        if (typeof d.code === 'string') {
          dropped = { code: d.code, message: typeof d.message === 'string' ? d.message : 'stream dropped' }
        }
      } catch {}
      continue
    }
    if (data.length === 0 || (name !== 'block' && name !== 'receipt')) continue
    try {
      events.push({ type: name, id, data: JSON.parse(data.join('\n')) } as StreamEvent)
    } catch {
      // A malformed event is skipped, not fatal: the next one may be fine.
    }
  }
  return dropped === undefined ? { events, rest } : { events, rest, dropped }
}

export function subscribeStream(
  base: string,
  fetchFn: FetchFn,
  filter: SubscribeFilter,
  onEvent: (event: StreamEvent) => void,
  handlers: SubscribeHandlers = {},
): () => void {
  const controller = new AbortController()
  const url = buildUrl(base, '/stream', { account: filter.account })
  const report = (err: ArcadeClientError) => {
    if (!controller.signal.aborted) handlers.onError?.(err)
  }
  void (async () => {
    const res = await fetchFn(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
    if (!res.ok || res.body === null) {
      const text = await res.text()
      let body: unknown = null
      try {
        body = JSON.parse(text)
      } catch {}
      throw errorFromBody(res.status, body)
    }
    handlers.onOpen?.()
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      const parsed = parseSse(buffer)
      buffer = parsed.rest
      for (const event of parsed.events) {
        if (controller.signal.aborted) return
        onEvent(event)
      }
      // The server dropped this stream (a slow reader): say why instead of "closed".
      if (parsed.dropped !== undefined) {
        report(new ArcadeClientError(parsed.dropped.code, parsed.dropped.message))
        return
      }
    }
    report(new ArcadeClientError(ClientErrorCode.network, 'the event stream was closed by the server'))
  })().catch((err: unknown) => {
    if (controller.signal.aborted) return
    report(
      err instanceof ArcadeClientError
        ? err
        : new ArcadeClientError(ClientErrorCode.network, `event stream failed: ${(err as Error).message}`),
    )
  })
  return () => controller.abort()
}
