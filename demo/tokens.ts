/**
 * The demo's sign-in tokens. One instance keeps them in memory; several instances behind a load
 * balancer cannot (a tab signs in on one and connects to another), so the cluster demo signs them
 * with a secret every instance holds: any instance checks any token, nothing is shared at run time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface TokenBook {
  /** The user id `token` stands for; null when it is unknown, forged or revoked. */
  userOf(token: string): string | null
  /** A fresh token for one tab (its own user id). */
  issue(): string
  /** Revokes `token` here; returns the user id it stood for, or null when it stood for none. */
  revoke(token: string): string | null
  isRevoked(token: string): boolean
  /** Takes a revocation back (the trouble switch back to *none* with that token: a script's `demo-token`). */
  restore(token: string): void
}

/** The fixed token for scripts and curl (`Authorization: Bearer demo-token`); pages get their own. */
export const SCRIPT_TOKEN = 'demo-token'

/** Tokens in this process's memory (the one-instance demo). */
export function memoryTokens(): TokenBook {
  const tokens = new Map<string, string>([[SCRIPT_TOKEN, 'script']])
  /** Revoked tokens and the user each stood for, so a revocation can be taken back. */
  const revoked = new Map<string, string>()
  let counter = 1
  return {
    userOf: (token) => tokens.get(token) ?? null,
    issue() {
      const n = ++counter
      const token = `demo-token-${n}-${Math.random().toString(36).slice(2, 10)}`
      tokens.set(token, `tab-${n}`)
      return token
    },
    revoke(token) {
      const userId = tokens.get(token) ?? null
      tokens.delete(token)
      if (userId) revoked.set(token, userId)
      return userId
    },
    isRevoked: (token) => revoked.has(token),
    restore(token) {
      const userId = revoked.get(token)
      if (userId === undefined) return
      revoked.delete(token)
      tokens.set(token, userId)
    },
  }
}

/**
 * Stateless tokens `demo1.<user id>.<HMAC-SHA256 of it>`, valid on every instance given the same
 * `secret` (the cluster script makes one per run). A revocation holds on the instance that made it
 * only: the cluster page offers none.
 */
export function signedTokens(secret: Buffer): TokenBook {
  const revoked = new Set<string>()
  const sign = (userId: string) => createHmac('sha256', secret).update(userId).digest('base64url')
  const verify = (token: string): string | null => {
    if (token === SCRIPT_TOKEN) return 'script'
    const [version, userId, signature, ...rest] = token.split('.')
    if (version !== 'demo1' || !userId || !signature || rest.length > 0 || !/^tab-[a-z0-9]{12}$/.test(userId)) return null
    const expected = Buffer.from(sign(userId))
    const given = Buffer.from(signature)
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null
  }
  return {
    userOf: (token) => (revoked.has(token) ? null : verify(token)),
    issue() {
      const userId = `tab-${randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)}`
      return `demo1.${userId}.${sign(userId)}`
    },
    revoke(token) {
      const userId = verify(token)
      if (userId) revoked.add(token)
      return userId
    },
    isRevoked: (token) => revoked.has(token),
    restore: (token) => void revoked.delete(token),
  }
}
