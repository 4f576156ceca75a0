/** Network addresses live in protocol/ (txs validate them too); genesis and node config read them from here. */
export {
  type HostPort,
  isRpcUrl,
  parseHostPort,
  parseP2pAddress,
  parseTcpMultiaddr,
} from '../protocol/net-address.ts'
