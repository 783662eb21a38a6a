import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import fc from 'fast-check'
import { SocketHub, type SocketHubOptions } from '../../src/core'
import { redact } from '../../src/transport'
import { redactShort } from '../../src/transport/redact'
import { FrameDecoder } from '../../src/transport/frameDecoder'
import { fakeSource } from '../helpers/fakeSources'
import { createMockEndpoint, flush } from '../helpers/mockEndpoint'

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
})

function setup(hubOptions: SocketHubOptions = {}) {
  const endpoint = createMockEndpoint()
  const hub = new SocketHub({ token: 'old', WebSocket: endpoint.WebSocket, onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, auth: { type: 'query' }, ...hubOptions })
  return { endpoint, hub }
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')

describe('token rotated while its socket is being refused', () => {
  test('a 4401 for a token no longer current retries at once with the current one; no onAuthError', async () => {
    const onAuthError = vi.fn()
    const { endpoint, hub } = setup({ onAuthError })
    const lease = hub.acquire(endpoint.url)
    // The socket with the old token is still connecting when the token is rotated.
    hub.setToken('new')
    await flush()
    expect(endpoint.created.map((c) => tokenOf(c.url))).toEqual(['old'])
    await endpoint.closeClients(4401, 'invalid token')
    await flush()
    expect(endpoint.created.map((c) => tokenOf(c.url))).toEqual(['old', 'new'])
    expect(lease.connection.getStatus().state).toBe('open')
    expect(onAuthError).not.toHaveBeenCalled()
    // The current token refused: unauthorized, reported once.
    await endpoint.closeClients(4401, 'invalid token')
    expect(lease.connection.getStatus().state).toBe('unauthorized')
    expect(onAuthError).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(600_000)
    expect(endpoint.created).toHaveLength(2)
  })

  test('the same with getToken: the refused token is compared with what getToken gives now', async () => {
    let current = 'a'
    const onAuthError = vi.fn()
    const { endpoint, hub } = setup({ token: undefined, getToken: async () => current, onAuthError })
    const lease = hub.acquire(endpoint.url)
    await flush()
    current = 'b'
    await endpoint.closeClients(4401)
    await flush()
    expect(endpoint.created.map((c) => tokenOf(c.url))).toEqual(['a', 'b'])
    expect(lease.connection.getStatus().state).toBe('open')
    expect(onAuthError).not.toHaveBeenCalled()
  })
})

describe('no token of any piece in reports', () => {
  // 71 characters, like the tokens that leaked 40–52 characters before.
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.Zm9vYmFyYmF6cXV4cXV1eHh5ejEyMzQ'
  const leaks = (text: string) => {
    for (let i = 0; i + 8 <= TOKEN.length; i++) if (text.includes(TOKEN.slice(i, i + 8))) return TOKEN.slice(i)
    return null
  }

  test('redact masks whole tokens, URL-encoded ones and runs of 8+ characters of them', () => {
    expect(redact(`a ${TOKEN} b`, TOKEN)).toBe('a *** b')
    expect(redact(`cut: ${TOKEN.slice(0, 40)}`, TOKEN)).toBe('cut: ***')
    expect(redact(`mid ${TOKEN.slice(20, 52)} end`, TOKEN)).toBe('mid *** end')
    expect(redact('nothing here', TOKEN)).toBe('nothing here')
    expect(redact('short tok', 'tok')).toBe('short ***')
    expect(leaks(redact(encodeURIComponent(`x${TOKEN}y`), TOKEN) + redact(encodeURIComponent(TOKEN).slice(0, 30), TOKEN))).toBeNull()
  })

  test('onEventError samples, lastCloseReason and onAuthError never hold 8 characters of the token', async () => {
    const reports: string[] = []
    const onAuthError = vi.fn()
    const { endpoint, hub } = setup({ token: TOKEN, onAuthError, onEventError: (e) => reports.push(JSON.stringify(e)) })
    const lease = hub.acquire(endpoint.url, { schema: z.object({ type: z.literal('ok') }) })
    await flush()
    // The token straddles the 200-character cut of the sample, at every offset.
    for (let pad = 150; pad < 200; pad += 7) endpoint.send(`{"type":"echo","pad":"${'x'.repeat(pad)}","token":"${TOKEN}"}`)
    endpoint.send(`not json ${'y'.repeat(170)}${TOKEN}`)
    endpoint.send({ type: `${TOKEN}${'z'.repeat(80)}` })
    await endpoint.closeClients(4000, `bad ${TOKEN.slice(0, 52)}`)
    expect(reports.length).toBeGreaterThan(8)
    for (const report of reports) expect(leaks(report)).toBeNull()
    expect(leaks(lease.connection.getStatus().lastCloseReason ?? '')).toBeNull()
    await vi.advanceTimersByTimeAsync(1010)
    await endpoint.closeClients(4401, `token ${TOKEN.slice(10, 60)} expired`)
    expect(lease.connection.getStatus()).toMatchObject({ state: 'unauthorized', lastCloseReason: 'token *** expired' })
    expect(onAuthError).toHaveBeenCalledTimes(1)
    expect(leaks(JSON.stringify(onAuthError.mock.calls))).toBeNull()
  })
})

describe('hostile frames', () => {
  const decoder = (reasons: string[] = []) =>
    new FrameDecoder(
      { maxPayloadBytes: 1024 * 1024, discriminator: 'type', controlTypes: [], onEventError: (e) => reasons.push(`${e.reason}: ${e.message}`), onCallbackError: (e) => { throw e } },
      'ws://x',
      () => null,
    )

  test('400k levels of nesting are dropped before JSON.parse ever sees them', () => {
    const reasons: string[] = []
    const d = decoder(reasons)
    const parse = vi.spyOn(JSON, 'parse')
    const got: unknown[] = []
    const subscribers = [{ onEvents: (e: unknown[]) => got.push(...e) }]
    d.dispatch('['.repeat(400_000) + ']'.repeat(400_000), subscribers)
    d.dispatch(`{"type":"a","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, subscribers)
    // Brackets inside strings are text, not nesting.
    d.dispatch(JSON.stringify({ type: 'b', text: '['.repeat(1000) }), subscribers)
    expect(parse).toHaveBeenCalledTimes(1)
    parse.mockRestore()
    expect(got).toEqual([{ type: 'b', text: '['.repeat(1000) }])
    expect(reasons).toEqual([
      'too_large: frame nests deeper than maxNestingDepth (64)',
      'too_large: frame nests deeper than maxNestingDepth (64)',
    ])
  })

  test('__proto__, constructor and prototype keys are stripped at every level, however they are spelled', () => {
    const d = decoder()
    const got: Record<string, unknown>[] = []
    const frames = [
      '{"type":"a","\\u005f_proto__":{"polluted":1},"n":1}',
      '{"type":"a","\\u005F\\u005F\\u0070\\u0072\\u006F\\u0074\\u006F\\u005F\\u005F":{"polluted":1},"n":2}',
      '{"type":"a","nested":{"constructor":{"prototype":{"polluted":1}},"k":[{"__proto__":{"polluted":1},"ok":true}]},"n":3}',
      '{"type":"batch","events":[{"type":"a","\\u0063onstructor":{"polluted":1},"n":4}]}',
      '{"type":"a","pro\\u0074otype":1,"n":5}',
    ]
    for (const frame of frames) d.dispatch(frame, [{ onEvents: (e) => got.push(...(e as Record<string, unknown>[])) }])
    expect(got.map((e) => e.n)).toEqual([1, 2, 3, 4, 5])
    const ownKeys = (value: unknown): string[] =>
      typeof value !== 'object' || value === null ? [] : Reflect.ownKeys(value).flatMap((k) => [String(k), ...ownKeys((value as Record<PropertyKey, unknown>)[k])])
    for (const event of got) {
      expect(ownKeys(event).filter((k) => ['__proto__', 'constructor', 'prototype'].includes(k))).toEqual([])
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('a string value "constructor" is data, not a key: kept', () => {
    const got: unknown[] = []
    decoder().dispatch('{"type":"a","name":"constructor","list":["__proto__"]}', [{ onEvents: (e) => got.push(...e) }])
    expect(got).toEqual([{ type: 'a', name: 'constructor', list: ['__proto__'] }])
  })
})

describe('generated inputs (fast-check, seeded)', () => {
  const tokenChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/='.split(''))

  test('redactShort never leaves 8 characters of the token, wherever pieces of it sit and wherever the cut falls', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: tokenChars, minLength: 8, maxLength: 120 }),
        fc.array(fc.tuple(fc.string({ maxLength: 120 }), fc.nat(), fc.nat(), fc.boolean()), { maxLength: 5 }),
        fc.integer({ min: 10, max: 300 }),
        (token, parts, maxChars) => {
          const text = parts
            .map(([filler, a, b, encoded]) => {
              const from = a % token.length
              const piece = token.slice(from, from + 8 + (b % token.length))
              return filler + (encoded ? encodeURIComponent(piece) : piece)
            })
            .join('')
          const out = redactShort(text, token, maxChars)
          for (let i = 0; i + 8 <= token.length; i++) {
            const piece = token.slice(i, i + 8)
            if (out.includes(piece) || out.includes(encodeURIComponent(piece))) return false
          }
          return true
        },
      ),
      { seed: 12, numRuns: 500 },
    )
  })

  test('any JSON object within the depth limit is delivered as parsed, minus dangerous keys', () => {
    const strip = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(strip)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).filter(([k]) => !['__proto__', 'constructor', 'prototype'].includes(k)).map(([k, v]) => [k, strip(v)]))
          : value
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'type'))
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', maxDepth: 8 }, fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), tie('object')),
      object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    }))
    fc.assert(
      fc.property(json.object, fc.boolean(), (object, escape) => {
        const decoder = new FrameDecoder({ maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: undefined, onCallbackError: (e) => { throw e } }, 'ws://x', () => null)
        let text = JSON.stringify({ ...object, type: 'x' })
        // The same frame with every underscore escaped: `\u005f_proto__` must fare no better.
        if (escape) text = text.replace(/_/g, '\\u005f')
        const got: unknown[] = []
        decoder.dispatch(text, [{ onEvents: (e) => got.push(...e) }])
        expect(got).toEqual([strip(JSON.parse(text))])
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }),
      { seed: 7, numRuns: 300 },
    )
  })
})
