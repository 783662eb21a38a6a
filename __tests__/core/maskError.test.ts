/**
 * What reaches `onCallbackError` holds no token, wherever in the error it was (a helper's probe of
 * 2026-12-06): its message, `cause`, an `AggregateError`'s inner errors, its own fields, a thrown
 * object or string, an Error in a field, a Map, a field toJSON hides; an error without a token is
 * passed on as it was (class, fields, stack); a
 * 1 MiB error is cut before it is searched; a token that cannot be URL-encoded breaks nothing.
 */
import { inspect } from 'node:util'
import { expect, test } from 'vitest'
import { maskError, redact } from '../../src/transport/redact'

const TOKEN = 'Zk8+Qw3/Lp9=Rt5+Mn2/Xy7=Vb4+Hs6q'
const OLD = 'old-Hs6q+Vb4=Tt1/Uu9+Ww3'

/** Any run of 8 or more of a token's characters, as printing the error would show it. */
function leaked(error: unknown): string | null {
  const shown = typeof error === 'string' ? error : inspect(error, { depth: 10 })
  for (const token of [TOKEN, OLD]) for (let i = 0; i + 8 <= token.length; i++) if (shown.includes(token.slice(i, i + 8))) return token.slice(i, i + 8)
  return null
}

class JobError extends Error {
  override name = 'JobError'
  constructor(message: string, readonly detail?: unknown) {
    super(message)
  }
}

test.each([
  ['the message', () => new Error(`cannot read ${TOKEN}`)],
  ['the cause', () => new Error('cannot read the event', { cause: new Error(`echo ${TOKEN}`) })],
  ['an AggregateError’s inner error', () => new AggregateError([new Error('fine'), new Error(`echo ${TOKEN}`)], 'two failed')],
  ['an own field', () => new JobError('cannot read the event', { note: `echo ${TOKEN}` })],
  ['a thrown plain object', () => ({ detail: `echo ${TOKEN}` })],
  ['a thrown string', () => `echo ${TOKEN}`],
  ['the older of two tokens', () => new Error(`echo ${OLD}`)],
  ['URL-encoded', () => new Error(`echo ${encodeURIComponent(TOKEN)}`)],
  ['an Error inside an own field (JSON prints it as {})', () => new JobError('request failed', { original: new Error(`GET /x?token=${TOKEN}`) })],
  ['a Map inside a field', () => new JobError('request failed', new Map([['auth', TOKEN]]))],
  ['a field its toJSON hides', () => Object.assign(new Error('request failed'), { request: { url: `/x?token=${TOKEN}`, toJSON: () => ({}) } })],
  ['a cause five deep', () => [1, 2, 3, 4].reduce((cause) => new Error('wrapped', { cause }), new Error(`echo ${TOKEN}`))],
])('the token in %s: nothing of it is left to print', (_where, make) => {
  const masked = maskError(make(), [TOKEN, OLD])
  expect(leaked(masked)).toBeNull()
})

test('a large error without a token, and any error when no token was used (cookie auth), is the same error', () => {
  const zodLike = new JobError('invalid', { issues: Array.from({ length: 200 }, (_, i) => ({ path: ['data', i], message: 'Expected number, received string' })) })
  expect(maskError(zodLike, [TOKEN])).toBe(zodLike)
  const quoting = new Error(`echo ${TOKEN}`)
  expect(maskError(quoting, [])).toBe(quoting)
})

test('a replaced error keeps its class name, and its stack masked (error grouping keeps working)', () => {
  const masked = maskError(new JobError(`cannot read ${TOKEN}`), [TOKEN]) as Error
  expect([masked.name, masked.message]).toEqual(['JobError', 'cannot read ***'])
  expect(masked.stack).toMatch(/cannot read \*\*\*\n\s+at /)
  expect(leaked(masked)).toBeNull()
})

test('an error without a token is the same error: class, fields, cause and stack kept', () => {
  const cause = new Error('inner')
  const error = new JobError('cannot read the event', { note: 'no secret here' })
  ;(error as { cause?: unknown }).cause = cause
  expect(maskError(error, [TOKEN, OLD])).toBe(error)
  expect(maskError('plain text', [TOKEN])).toBe('plain text')
})

test('a masked error is a new Error with the masked message (its fields held the token too); a name that is not a class name is not kept; a string stays a string', () => {
  const error = new JobError(`cannot read ${TOKEN}`)
  error.name = `Named ${TOKEN}`
  const masked = maskError(error, [TOKEN]) as Error
  expect(masked).not.toBe(error)
  expect([masked.name, masked.message]).toEqual(['Error', 'cannot read ***'])
  expect(leaked(masked)).toBeNull()
  expect(maskError(`echo ${TOKEN}`, [TOKEN])).toBe('echo ***')
})

test('a 1 MiB error is searched over a window and cut, the token masked before the cut', () => {
  const huge = `${'x'.repeat(4090)}${TOKEN}${'y'.repeat(1 << 20)}`
  const masked = maskError(new Error(huge), [TOKEN]) as Error
  expect(masked.message.length).toBeLessThan(4200)
  expect(masked.message).toMatch(/… \(1052\d{3} chars\)$/)
  expect(leaked(masked)).toBeNull()
})

test('cyclic errors, and errors whose fields throw when read, are read by their message alone', () => {
  const cyclic = new Error(`loop ${TOKEN}`) as Error & { self?: unknown }
  cyclic.self = cyclic
  expect((maskError(cyclic, [TOKEN]) as Error).message).toBe('loop ***')
  const hostile = Object.defineProperty({}, 'message', { get: () => { throw new Error('getter') } })
  expect(String(maskError(hostile, [TOKEN]))).toBe('Error: [live-status] an error that cannot be shown')
})

test('a token with a lone surrogate (it cannot be URL-encoded) is still masked, and nothing throws', () => {
  const odd = `tok-\uD800-0123456789`
  expect(redact(`echo ${odd}`, odd)).toBe('echo ***')
  expect((maskError(new Error(`echo ${odd}`), [odd]) as Error).message).toBe('echo ***')
})
