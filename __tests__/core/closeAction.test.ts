import { expect, test } from 'vitest'
import { closeAction } from '../../src/core'

const policy = { authCloseCodes: [1008, 4401, 4403], fatalCloseCodes: [1002, 1003, 1007, 1009, 1010] }

test('the close-code table', () => {
  const table = Object.fromEntries(
    [1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 4000, 4401, 4403, 4429, 4499, 4500].map(
      (code) => [code, closeAction(code, false, policy)],
    ),
  )
  expect(table).toEqual({
    1000: 'reconnect',
    1001: 'reconnect',
    1002: 'give-up',
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
