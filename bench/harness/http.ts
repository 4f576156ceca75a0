/**
 * Minimal HTTP for the load: node:http with keep-alive agents, one per source address. Each client
 * lane connects from its own loopback address (127.0.x.y), because the node's RPC rate limit counts
 * requests per client IP: a benchmark from one address would measure the limiter, not the ledger.
 */
import { Agent, request } from 'node:http'

export interface HttpResult {
  readonly status: number
  readonly body: string
}

export class HttpPool {
  private readonly agents = new Map<string, Agent>()

  /** The agent for a source address; undefined lets the system pick one (a remote target). */
  private agent(localAddress: string | undefined): Agent {
    let a = this.agents.get(localAddress ?? '')
    if (a === undefined) {
      a = new Agent({
        keepAlive: true,
        maxSockets: 4,
        ...(localAddress === undefined ? {} : { localAddress }),
      } as ConstructorParameters<typeof Agent>[0])
      this.agents.set(localAddress ?? '', a)
    }
    return a
  }

  /** POSTs `body` (msgpack bytes) and resolves with the status and text, or rejects on a network error. */
  post(
    url: string,
    body: Uint8Array,
    localAddress: string | undefined,
    timeoutMs: number,
  ): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent(localAddress),
          headers: { 'content-type': 'application/msgpack', 'content-length': body.length },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error('request timed out')))
      req.on('error', reject)
      req.end(body)
    })
  }

  /** GETs a URL from `localAddress`. */
  get(url: string, localAddress: string | undefined, timeoutMs: number): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: 'GET', agent: this.agent(localAddress), timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error('request timed out')))
      req.on('error', reject)
      req.end()
    })
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy()
    this.agents.clear()
  }
}

/** The source address of lane `lane` of client `client`: 127.0.(client+1).(lane+2). */
export function laneAddress(client: number, lane: number): string {
  return `127.0.${(client % 250) + 1}.${(lane % 250) + 2}`
}

export async function getJson<T>(url: string, timeoutMs = 5000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`)
  return JSON.parse(text) as T
}
