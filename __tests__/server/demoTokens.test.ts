// The cluster demo's sign-in tokens (demo/tokens.ts): stateless, HMAC-signed with a per-run
// secret, so an instance accepts what another one issued and nothing else.
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { memoryTokens, SCRIPT_TOKEN, signedTokens } from '../../demo/tokens'

const secret = randomBytes(32)

test('a token issued by one instance is accepted by another with the same secret, and by none with another secret', () => {
  const a = signedTokens(secret)
  const b = signedTokens(Buffer.from(secret))
  const stranger = signedTokens(randomBytes(32))
  for (let i = 0; i < 50; i++) {
    const token = a.issue()
    expect(b.userOf(token)).toMatch(/^tab-[a-z0-9]{12}$/)
    expect(b.userOf(token)).toBe(a.userOf(token))
    expect(stranger.userOf(token)).toBeNull()
  }
  expect(b.userOf(SCRIPT_TOKEN)).toBe('script')
})

test('any change to a token (a character replaced, cut, or added) is refused, and no input throws', () => {
  const book = signedTokens(secret)
  const token = book.issue()
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'
  fc.assert(
    fc.property(
      fc.oneof(
        fc.record({ at: fc.nat(token.length - 1), char: fc.constantFrom(...alphabet) }).map(({ at, char }) => token.slice(0, at) + char + token.slice(at + 1)),
        fc.nat(token.length - 1).map((length) => token.slice(0, length)),
        fc.string({ maxLength: 8 }).map((tail) => token + tail),
        fc.string({ maxLength: 120 }),
      ),
      (candidate) => {
        const user = book.userOf(candidate)
        if (candidate === token) expect(user).not.toBeNull()
        else if (candidate !== SCRIPT_TOKEN) expect(user).toBeNull()
      },
    ),
    { seed: 11, numRuns: 2000 },
  )
})

test('a revoked token is refused where it was revoked; the in-memory book behaves as before', () => {
  const book = signedTokens(secret)
  const token = book.issue()
  const user = book.revoke(token)
  expect(user).not.toBeNull()
  expect(book.userOf(token)).toBeNull()
  expect(book.isRevoked(token)).toBe(true)

  const memory = memoryTokens()
  const issued = memory.issue()
  expect(memory.userOf(issued)).toBe('tab-2')
  expect(memory.revoke(issued)).toBe('tab-2')
  expect(memory.userOf(issued)).toBeNull()
  expect(memory.revoke(issued)).toBeNull()
  expect(memory.isRevoked(issued)).toBe(true)
  expect(memory.userOf(SCRIPT_TOKEN)).toBe('script')
})
