import { createHmac, timingSafeEqual } from 'node:crypto'

const decodePart = (part: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * The payload of an HS256 JWT signed with `secret`, or null (bad shape, other algorithm, wrong
 * signature, expired or not yet valid). For the standalone start; apps bring their own `authenticate`.
 */
export function verifyHs256Jwt(token: string, secret: string, nowMs = Date.now()): Record<string, unknown> | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const [header, payload, signature] = parts as [string, string, string]
  if (decodePart(header)?.alg !== 'HS256') return null
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const claims = decodePart(payload)
  if (!claims) return null
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs) return null
  if (typeof claims.nbf === 'number' && claims.nbf * 1000 > nowMs) return null
  return claims
}

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'compare').update(given).digest()
  const b = createHmac('sha256', 'compare').update(expected).digest()
  return timingSafeEqual(a, b)
}
