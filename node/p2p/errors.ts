/** Codes raised by node/p2p/. Tests assert codes, never messages. A code is never reused. */
import { ArcadeError } from '../../protocol/errors.ts'

export const P2pErrorCode = {
  /** An outgoing message or request is larger than its protocol's limit; nothing was sent. */
  tooLarge: 'P2P_TOO_LARGE',
  /** The peer id is not a 64-char hex node key, or a key is not 32 bytes. */
  badPeer: 'P2P_BAD_PEER',
  /** The node key given to the host does not match its secret seed. */
  badNodeKey: 'P2P_BAD_NODE_KEY',
  /** The peer is not in the allow-list: we neither dial it nor accept it. */
  notAllowed: 'P2P_NOT_ALLOWED',
  /** There is no open connection to the peer. */
  notConnected: 'P2P_NOT_CONNECTED',
  /** A dial attempt failed (refused, denied by the remote gater, handshake or timeout). */
  dialFailed: 'P2P_DIAL_FAILED',
  /** A request/response exchange failed: stream reset, remote error, truncated or invalid response. */
  requestFailed: 'P2P_REQUEST_FAILED',
  /** A frame header is not a valid length prefix; the stream is reset (the connection stays). */
  badFrame: 'P2P_BAD_FRAME',
  /** The operation was aborted by its signal or its timeout. */
  aborted: 'P2P_ABORTED',
  /** The host is not started, or already stopped. */
  notRunning: 'P2P_NOT_RUNNING',
} as const
export type P2pErrorCode = (typeof P2pErrorCode)[keyof typeof P2pErrorCode]

export class P2pError extends ArcadeError<P2pErrorCode> {
  constructor(code: P2pErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'P2pError'
  }
}
