/** Time is injected: protocol/, state/ and the consensus machine never read the wall clock themselves. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number
}
