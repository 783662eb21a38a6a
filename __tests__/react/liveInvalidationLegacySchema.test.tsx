// @vitest-environment happy-dom
/**
 * `useLiveInvalidation` keeps the app's schema behind one identity of its own: a schema that is not
 * a Standard Schema (only `safeParse`: zod before 3.24) must still be named in development, once,
 * however often the component renders, and otherwise fare as it does everywhere else.
 */
import { useEffect, useState } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { useLiveInvalidation } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
afterEach(() => vi.restoreAllMocks())

const path = '/v1/events'

function Entities({ schema }: { schema: () => unknown }) {
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 100)
    return () => clearInterval(timer)
  }, [])
  useLiveInvalidation({ socket: path, schema: schema() as never, keysFor: () => [['entities']] })
  return null
}

const schemaErrors = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('is not a Standard Schema'))

test('a schema with only safeParse, written inline: one development message across re-renders; each message refused with its TypeError to onCallbackError', async () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  const onEventError = vi.fn()
  const onCallbackError = vi.fn()
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (token) => ['bearer', token] }, onEventError, onCallbackError })
  backend.socketAt(path)
  renderLive(<Entities schema={() => ({ safeParse: (input: unknown) => ({ success: true, data: input }) })} />)
  for (let i = 0; i < 5; i++) await advance(100)
  backend.send(path, { type: 'created', id: 'a' })
  await advance()
  expect(schemaErrors(error)).toHaveLength(1)
  expect(schemaErrors(error)[0]).toMatch(/\/v1\/events is not a Standard Schema .*Pass a Standard Schema validator \(zod ≥ 3\.24, valibot, arktype…\), or wrap yours/)
  expect(onEventError).toHaveBeenCalledTimes(1)
  expect(onEventError.mock.calls[0]![0]).toMatchObject({ reason: 'schema_mismatch' })
  expect(onCallbackError).toHaveBeenCalledTimes(1)
  expect(onCallbackError.mock.calls[0]![0]).toBeInstanceOf(TypeError)
})

test('a Standard Schema through the hook: no message', async () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  const onEventError = vi.fn()
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (token) => ['bearer', token] }, onEventError })
  backend.socketAt(path)
  renderLive(<Entities schema={() => z.object({ type: z.string(), id: z.string() })} />)
  await advance(300)
  backend.send(path, { type: 'created', id: 'a' })
  await advance()
  expect(schemaErrors(error)).toHaveLength(0)
  expect(onEventError).not.toHaveBeenCalled()
})
