/**
 * The claims a table swap writes into `sink_claims` (trends replay --swap): `swap:<id>` fences every
 * lane of the live sink while the tables are exchanged; `swap-done:<id>@<offset>` says they are, and
 * where the swapped-in tables' ledger ends for that partition — everything before that offset is in
 * them already, so the live sink reads on from there (nothing before it is inserted again).
 */
export const SWAP_FENCE = 'swap:'
export const SWAP_DONE = 'swap-done:'

export type SwapClaim = { kind: 'fence'; id: string } | { kind: 'done'; id: string; resumeAt: bigint | undefined }

export const swapFence = (id: string): string => `${SWAP_FENCE}${id}`

/** `resumeAt`: the next offset to read after the swap (none when the swapped-in ledger has nothing of the partition). */
export const swapDone = (id: string, resumeAt: bigint | undefined): string => `${SWAP_DONE}${id}@${resumeAt ?? ''}`

/** The swap claim an owner id is, if it is one. */
export function parseSwapClaim(owner: string | undefined): SwapClaim | undefined {
  if (owner === undefined) return undefined
  if (owner.startsWith(SWAP_DONE)) {
    const rest = owner.slice(SWAP_DONE.length)
    const at = rest.lastIndexOf('@')
    const offset = at < 0 ? '' : rest.slice(at + 1)
    return { kind: 'done', id: at < 0 ? rest : rest.slice(0, at), resumeAt: /^\d+$/.test(offset) ? BigInt(offset) : undefined }
  }
  if (owner.startsWith(SWAP_FENCE)) return { kind: 'fence', id: owner.slice(SWAP_FENCE.length) }
  return undefined
}
