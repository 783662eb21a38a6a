import { describe, expect, test } from 'vitest'
import { closeAction, defaultReconnect, reconnectDecision, type Loss } from '../../src/transport'

const policy = { authCloseCodes: [1008, 4401, 4403], fatalCloseCodes: [1003, 1007, 1009, 1010] }

test('the close-code table', () => {
  const table = Object.fromEntries(
    [1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 4000, 4401, 4403, 4429, 4499, 4500].map(
      (code) => [code, closeAction(code, false, policy)],
    ),
  )
  expect(table).toEqual({
    1000: 'reconnect',
    1001: 'reconnect',
    1002: 'retry-unless-repeated',
    1003: 'give-up',
    1006: 'reconnect',
    1007: 'give-up',
    1008: 'unauthorized',
    1009: 'give-up',
    1010: 'give-up',
    1011: 'reconnect',
    1012: 'reconnect',
    1013: 'reconnect',
    4000: 'reconnect',
    4401: 'unauthorized',
    4403: 'unauthorized',
    4429: 'reconnect',
    4499: 'reconnect',
    4500: 'reconnect',
  })
})

test('a close we asked for never reconnects, whatever its code', () => {
  for (const code of [1000, 1006, 4401]) expect(closeAction(code, true, policy)).toBe('stop')
})

describe('reconnectDecision: the one place that says retry (after how long) or stop', () => {
  const decide = (loss: Partial<Loss>) =>
    reconnectDecision({ code: 1006, attempt: 0, online: true, ...loss }, { ...policy, reconnect: defaultReconnect, random: () => 1 })

  test('transient losses back off until the budget, then closed', () => {
    expect(decide({ code: 1006 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 1000 })
    expect(decide({ code: 4000, attempt: 3 })).toEqual({ state: 'reconnecting', attempt: 4, delayMs: 8000 })
    expect(decide({ code: 1011, attempt: 9 })).toEqual({ state: 'reconnecting', attempt: 10, delayMs: 30000 })
    expect(decide({ code: 1011, attempt: 10 })).toEqual({ state: 'closed' })
    expect(decide({ code: 1006, online: false })).toEqual({ state: 'offline' })
  })

  test('auth codes: unauthorized, unless the refused token was replaced (then at once, within the budget)', () => {
    expect(decide({ code: 4401 })).toEqual({ state: 'unauthorized' })
    expect(decide({ code: 4401, tokenReplaced: true })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 0 })
    expect(decide({ code: 1008, tokenReplaced: true, attempt: 10 })).toEqual({ state: 'closed' })
  })

  test('1002 (one bad message on a shared socket): backoff, and closed only when it repeats on every attempt', () => {
    expect(decide({ code: 1002 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 1000 })
    expect(decide({ code: 1002, attempt: 1, repeats: 2 })).toEqual({ state: 'reconnecting', attempt: 2, delayMs: 2000 })
    expect(decide({ code: 1002, attempt: 2, repeats: 3 })).toEqual({ state: 'closed' })
    // Listed as fatal by the app: the first one ends it.
    expect(reconnectDecision({ code: 1002, attempt: 0, online: true }, { ...policy, fatalCloseCodes: [1002], reconnect: defaultReconnect, random: () => 1 })).toEqual({ state: 'closed' })
  })

  test('fatal codes: closed', () => {
    for (const code of policy.fatalCloseCodes) expect(decide({ code })).toEqual({ state: 'closed' })
  })

  test("a server's asked-for wait (SSE `retry:`) is a floor under the backoff, never a retry by itself", () => {
    expect(decide({ code: 1006, serverRetryMs: 5000 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 5000 })
    expect(decide({ code: 1006, attempt: 5, serverRetryMs: 5000 })).toEqual({ state: 'reconnecting', attempt: 6, delayMs: 30000 })
    expect(decide({ code: 1006, attempt: 10, serverRetryMs: 5000 })).toEqual({ state: 'closed' })
    expect(decide({ code: 1009, serverRetryMs: 5000 })).toEqual({ state: 'closed' })
    // Honoured past maxDelayMs, but capped where a timer would overflow and fire at once.
    expect(decide({ code: 1006, serverRetryMs: 60_000 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 60_000 })
    // A server's wait is honoured up to ten minutes (`retry: 2147483647` parked a client 24.8 days).
    expect(decide({ code: 1006, serverRetryMs: 600_001 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 600_000 })
    expect(decide({ code: 1006, serverRetryMs: 2 ** 31 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 600_000 })
    expect(decide({ code: 1006, serverRetryMs: Infinity })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 600_000 })
    // A replaced token is tried at once: the wait was asked of the refused one.
    expect(decide({ code: 4401, tokenReplaced: true, serverRetryMs: 5000 })).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 0 })
  })
})
