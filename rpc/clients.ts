/**
 * Who a client is, for per-client bounds: its IP address as Fastify reports it (the socket's, or
 * X-Forwarded-For's when the proxy is trusted). An IPv4 address is one client; an IPv6 client is
 * its /64, the block a subscriber usually holds, so that one host cannot pose as 2^64 clients.
 * Networks on the allow-list (CIDRs, checked with Node's `net.BlockList`) skip per-client bounds.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net'

export interface Client {
  /** The key per-client bounds count under: an IPv4 address, or an IPv6 /64 prefix. */
  readonly key: string
  /** On the allow-list: per-client bounds do not apply. */
  readonly allowListed: boolean
}

export interface Cidr {
  readonly address: string
  readonly prefix: number
  readonly family: 'ipv4' | 'ipv6'
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128); null when not one. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null
  if (family === null) return null
  const bits = family === 'ipv4' ? 32 : 128
  if (slash === -1) return { address, prefix: bits, family }
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return null
  const prefix = Number(prefixText)
  return prefix <= bits ? { address, prefix, family } : null
}

/** The eight 16-bit groups of an IPv6 address, as numbers (the caller checked `isIPv6`). */
function ipv6Groups(address: string): number[] {
  let text = address
  // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) is two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const front = parse(head)
  if (tail === undefined) return front
  const back = parse(tail)
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
}

/** The per-client key of an IP: IPv4 (also IPv4-mapped IPv6) as is, IPv6 as its /64. */
export function clientKeyOf(ip: string): string {
  if (!isIPv6(ip)) return ip
  const groups = ipv6Groups(ip.split('%')[0] as string)
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff
  if (mapped) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/** Resolves request IPs to clients against an allow-list of CIDRs (checked by `parseCidr` first). */
export function createClientResolver(allowList: readonly string[]): (ip: string) => Client {
  const allowed = new BlockList()
  for (const text of allowList) {
    const cidr = parseCidr(text)
    if (cidr === null) throw new TypeError(`rpc option allowList: ${text} is not an address or CIDR`)
    allowed.addSubnet(cidr.address, cidr.prefix, cidr.family)
  }
  const isAllowed = (ip: string): boolean => {
    if (allowList.length === 0) return false
    const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null
    // BlockList matches an IPv4-mapped IPv6 address against IPv4 subnets as well.
    return family !== null && allowed.check(ip.split('%')[0] as string, family)
  }
  return (ip) => ({ key: clientKeyOf(ip), allowListed: isAllowed(ip) })
}
