/**
 * The frame decoder validates through Standard Schema's `~standard.validate` and nothing else: zod 4,
 * the package's own validators and any other Standard Schema (paths written `{ key }`, as Valibot
 * writes them) give the same reports, and an asynchronous validator refuses its messages without
 * leaving a promise to reject unhandled.
 */
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { looseObject, oneOf, optional, number } from '../../src/sync/validate'
import { FrameDecoder, type FrameSubscriber } from '../../src/transport/frameDecoder'
import type { EventError, StandardSchemaV1 } from '../../src/transport/types'

function decoder() {
  const reports: EventError[] = []
  const callbackErrors: unknown[] = []
  const made = new FrameDecoder(
    { maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: (error) => reports.push(error), onCallbackError: (error) => callbackErrors.push(error) },
    'ws://test',
    () => null,
  )
  return { decoder: made, reports, callbackErrors }
}

type Progress = { type: 'progress'; data?: { count?: number } }

/** One check written three ways: zod 4, the package's validators, and by hand with `{ key }` path segments. */
const schemas: Record<string, StandardSchemaV1<unknown, Progress>> = {
  zod: z.looseObject({ type: z.literal('progress'), data: z.looseObject({ count: z.number().optional() }).optional() }) as StandardSchemaV1<unknown, Progress>,
  'the package’s validators': looseObject({ type: oneOf(['progress'] as const), data: optional(looseObject({ count: optional(number) })) }) as StandardSchemaV1<unknown, Progress>,
  'by hand, paths as { key }': {
    '~standard': {
      version: 1,
      vendor: 'hand',
      validate: (value) => {
        const message = value as { type?: unknown; data?: { count?: unknown } }
        if (message.type !== 'progress') return { issues: [{ message: 'not progress', path: [{ key: 'type' }] }] }
        if (message.data?.count !== undefined && typeof message.data.count !== 'number') return { issues: [{ message: 'not a number', path: [{ key: 'data' }, { key: 'count' }] }] }
        return { value: message as Progress }
      },
    },
  },
}

describe.each(Object.entries(schemas))('%s', (_name, schema) => {
  test('delivers what it accepts; an unknown type is unknown_type, a bad field schema_mismatch with its path', () => {
    const { decoder: d, reports } = decoder()
    const delivered: unknown[] = []
    const subscribers: FrameSubscriber<unknown>[] = [{ schema, onEvents: (events) => delivered.push(...events) }]
    d.dispatch(JSON.stringify({ type: 'batch', events: [{ type: 'progress', data: { count: 2 } }, { type: 'other' }, { type: 'progress', data: { count: 'x' } }] }), subscribers)
    expect(delivered).toEqual([{ type: 'progress', data: { count: 2 } }])
    expect(reports.map((r) => r.reason)).toEqual(['unknown_type', 'schema_mismatch'])
    expect(reports[0]!.message).toBe('unknown type "other"')
    expect(reports[1]!.message).toMatch(/^data\.count: /)
  })
})

test('an asynchronous validator refuses each message (schema_mismatch, said why), and its rejection goes to onCallbackError, never unhandled', async () => {
  const { decoder: d, reports, callbackErrors } = decoder()
  let settled = 0
  const asyncSchema: StandardSchemaV1<unknown, unknown> = {
    '~standard': {
      version: 1,
      vendor: 'async',
      validate: () => Promise.reject(new Error('async refusal')).finally(() => settled++),
    },
  }
  const delivered: unknown[] = []
  d.dispatch(JSON.stringify({ type: 'progress' }), [{ schema: asyncSchema, onEvents: (events) => delivered.push(...events) }])
  expect(delivered).toEqual([])
  expect(reports.map((r) => [r.reason, r.message])).toEqual([['schema_mismatch', '(root): the schema answered asynchronously (an async check, or a zod transform that threw); events need a synchronous answer']])
  // Vitest fails the run on an unhandled rejection: let the rejected promise settle inside this test.
  await new Promise<void>((resolve) => setImmediate(resolve))
  expect(settled).toBe(1)
  expect(callbackErrors).toEqual([new Error('async refusal')])
})

test('a zod transform that throws: its own error reaches onCallbackError (zod retries it asynchronously); the hub masks it (hostileServer.test.ts)', async () => {
  const TOKEN = 'tok-SECRET-0123456789'
  const callbackErrors: unknown[] = []
  const reports: EventError[] = []
  const d = new FrameDecoder(
    { maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: (error) => reports.push(error), onCallbackError: (error) => callbackErrors.push(error) },
    'ws://test',
    () => TOKEN,
  )
  const schema = z.object({ type: z.literal('progress'), note: z.string() }).transform((event) => {
    throw new Error(`cannot read ${event.note}`)
  }) as StandardSchemaV1<unknown, unknown>
  const delivered: unknown[] = []
  d.dispatch(JSON.stringify({ type: 'progress', note: `echo ${TOKEN}` }), [{ schema, onEvents: (events) => delivered.push(...events) }])
  await new Promise<void>((resolve) => setImmediate(resolve))
  expect(delivered).toEqual([])
  expect(reports.map((r) => r.reason)).toEqual(['schema_mismatch'])
  // The transform's own error, as it was: the hub masks it (hostileServer.test.ts), the decoder passes it on.
  expect(callbackErrors).toHaveLength(1)
  expect(callbackErrors[0]).toBeInstanceOf(Error)
  expect((callbackErrors[0] as Error).message).toMatch(/^cannot read echo /)
  expect(JSON.stringify(reports)).not.toContain('SECRET')
})

test.each([
  ['a Set', () => new Set(['index_started'])],
  ['a number', () => 3],
  ['a getter that throws', undefined],
])('knownTypes that is not a list (%s): the frame is still decoded for every subscriber, the report still made', (_name, make) => {
  const { decoder: d, reports, callbackErrors } = decoder()
  const strict: StandardSchemaV1<unknown, unknown> = {
    '~standard': { version: 1, vendor: 'hand', validate: (value) => ((value as { type?: unknown }).type === 'mine' ? { value } : { issues: [{ message: 'not mine', path: ['type'] }] }) },
  }
  const odd = make
    ? ({ schema: strict, knownTypes: make() } as unknown as FrameSubscriber<unknown>)
    : ({
        schema: strict,
        get knownTypes(): readonly string[] {
          throw new Error('no list')
        },
      } as FrameSubscriber<unknown>)
  const mine: unknown[] = []
  const others: unknown[] = []
  Object.defineProperty(odd, 'onEvents', { value: (events: unknown[]) => mine.push(...events) })
  // Two frames handed over at once: the odd list must not stop the second, nor the other subscriber.
  d.dispatch([JSON.stringify({ type: 'index_started' }), JSON.stringify({ type: 'mine' })], [odd, { onEvents: (events) => others.push(...events) }])
  expect(mine).toEqual([{ type: 'mine' }])
  expect(others).toEqual([{ type: 'index_started' }, { type: 'mine' }])
  expect(reports).toEqual([])
  // Alone on its socket, a type the list cannot name is reported.
  d.dispatch(JSON.stringify({ type: 'index_started' }), [odd])
  expect(reports.map((r) => r.reason)).toEqual(['unknown_type'])
  expect(callbackErrors).toHaveLength(make ? 0 : 2)
})

test('knownTypes are read from the subscriber’s own discriminator: another channel’s message is not reported, an unknown one is', () => {
  const { decoder: d, reports } = decoder()
  const byEvent: StandardSchemaV1<unknown, unknown> = {
    '~standard': { version: 1, vendor: 'hand', validate: (value) => ((value as { event?: unknown }).event === 'mine' ? { value } : { issues: [{ message: 'not mine', path: ['event'] }] }) },
  }
  const delivered: unknown[] = []
  const subscribers: FrameSubscriber<unknown>[] = [{ schema: byEvent, discriminator: 'event', knownTypes: ['theirs'], onEvents: (events) => delivered.push(...events) }]
  d.dispatch(JSON.stringify({ type: 'batch', events: [{ event: 'mine' }, { event: 'theirs' }, { event: 'unknown' }] }), subscribers)
  expect(delivered).toEqual([{ event: 'mine' }])
  expect(reports.map((r) => [r.reason, r.message])).toEqual([['unknown_type', 'unknown event "unknown"']])
  expect(d.stats.dropped.unknown_type).toBe(1)
})

test.each([
  ['undefined', undefined],
  ['null', null],
  ['true', true],
])('a validator that answers %s refuses the message; nothing escapes dispatch', (_name, answer) => {
  const { decoder: d, reports } = decoder()
  const silent: StandardSchemaV1<unknown, unknown> = { '~standard': { version: 1, vendor: 'hand', validate: () => answer as never } }
  const delivered: unknown[] = []
  expect(() => d.dispatch(JSON.stringify({ type: 'progress' }), [{ schema: silent, onEvents: (events) => delivered.push(...events) }])).not.toThrow()
  expect(delivered).toEqual([])
  expect(reports.map((r) => r.reason)).toEqual(['schema_mismatch'])
})
