/**
 * Network addresses as they appear in genesis, node config and association txs: `host:port` (IPv6 in brackets) or a
 * TCP multiaddr (`/ip4/127.0.0.1/tcp/26656`, `/dns4/example.org/tcp/26656`), and RPC base URLs.
 */

export interface HostPort {
  readonly host: string
  readonly port: number
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/

function port(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return null
  const n = Number(text)
  return n >= 1 && n <= 65_535 ? n : null
}

/** `host:port` or `[v6]:port`; null when malformed. */
export function parseHostPort(text: string): HostPort | null {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text)
  if (v6 !== null) {
    const p = port(v6[2])
    return p !== null && IPV6.test(v6[1] as string) && (v6[1] as string).includes(':')
      ? { host: v6[1] as string, port: p }
      : null
  }
  const i = text.lastIndexOf(':')
  if (i <= 0) return null
  const host = text.slice(0, i)
  const p = port(text.slice(i + 1))
  if (p === null || !(IPV4.test(host) || HOSTNAME.test(host))) return null
  return { host, port: p }
}

/** A TCP multiaddr `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>]`; null when malformed. */
export function parseTcpMultiaddr(text: string): HostPort | null {
  const m = /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)(\/p2p\/[A-Za-z0-9]+)?$/.exec(text)
  if (m === null) return null
  const [, proto, host, portText] = m as unknown as [string, string, string, string]
  const p = port(portText)
  if (p === null) return null
  if (proto === 'ip4' && !IPV4.test(host)) return null
  if (proto === 'ip6' && !(IPV6.test(host) && host.includes(':'))) return null
  if (proto.startsWith('dns') && !HOSTNAME.test(host)) return null
  return { host, port: p }
}

/** Either form above. */
export function parseP2pAddress(text: string): HostPort | null {
  return text.startsWith('/') ? parseTcpMultiaddr(text) : parseHostPort(text)
}

/** An http(s) base URL with a host and no credentials, query or fragment. */
export function isRpcUrl(text: string): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === ''
  )
}
