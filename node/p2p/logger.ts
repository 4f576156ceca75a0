/** The logger the p2p layer needs: a subset of pino's, injected (null means silent). */
export interface P2pLogger {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

export const silentLogger: P2pLogger = {
  debug() {},
  info() {},
  warn() {},
}
