/**
 * The libp2p node under a host: TCP, Noise and yamux, with the admission limits of limits.ts applied
 * where libp2p enforces them (connection manager: per-IP rate, handshakes in flight and their timeout,
 * protocol negotiation; yamux: streams per connection, receive windows and read buffers).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { ipPortToMultiaddr } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import type { P2pLimits } from './limits.ts'

export interface TransportOptions {
  readonly listen: { readonly host: string; readonly port: number }
  readonly privateKey: PrivateKey
  readonly limits: P2pLimits
  readonly gater: ConnectionGater
}

/** Creates (does not start) the libp2p node. */
export function createTransport(options: TransportOptions): Promise<Libp2p> {
  const { limits } = options
  return createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: [ipPortToMultiaddr(options.listen.host, options.listen.port).toString()] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux({
        maxInboundStreams: limits.maxStreamsPerConnection,
        streamOptions: {
          maxStreamWindowSize: limits.maxStreamWindowBytes,
          // A paused stream buffers at most what its window let the peer send: never reset for holding it.
          maxReadBufferLength: limits.maxStreamWindowBytes + 64 * 1024,
        },
      }),
    ],
    connectionGater: options.gater,
    connectionManager: {
      maxConnections: limits.maxConnections,
      dialTimeout: limits.dialTimeoutMs,
      inboundConnectionThreshold: limits.inboundConnectionsPerIpPerSecond,
      maxIncomingPendingConnections: limits.maxPendingInboundConnections,
      inboundUpgradeTimeout: limits.inboundUpgradeTimeoutMs,
      inboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeoutMs,
      outboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeoutMs,
    },
  })
}
