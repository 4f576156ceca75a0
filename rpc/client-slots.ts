/**
 * Counted slots for long-lived requests (`?wait` requests, event streams): at most `max` node-wide
 * and `maxPerClient` per client. Allow-listed clients count toward the node-wide bound only.
 */
import type { Client } from './clients.ts'

export interface ClientSlotOptions {
  readonly max: number
  readonly maxPerClient: number
}

/** A taken slot's release (calling it twice is harmless), or the bound that refused one. */
export type SlotGrant = { readonly release: () => void } | { readonly refused: 'node' | 'client' }

export interface ClientSlots {
  acquire(client: Client): SlotGrant
  /** Slots taken now, node-wide. */
  readonly inUse: number
  /** Slots `client` holds now. */
  heldBy(client: Client): number
}

export function createClientSlots(options: ClientSlotOptions): ClientSlots {
  const perClient = new Map<string, number>()
  let inUse = 0
  return {
    get inUse() {
      return inUse
    },
    heldBy(client) {
      return perClient.get(client.key) ?? 0
    },
    acquire(client) {
      if (inUse >= options.max) return { refused: 'node' }
      const held = perClient.get(client.key) ?? 0
      if (!client.allowListed && held >= options.maxPerClient) return { refused: 'client' }
      inUse++
      perClient.set(client.key, held + 1)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          inUse--
          const left = (perClient.get(client.key) ?? 1) - 1
          if (left === 0) perClient.delete(client.key)
          else perClient.set(client.key, left)
        },
      }
    },
  }
}
