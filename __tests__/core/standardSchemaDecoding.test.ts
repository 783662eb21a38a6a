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

test('an asynchronous validator refuses each message (schema_mismatch, said why), and its promise never rejects unhandled', async () => {
  const { decoder: d, reports } = decoder()
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
  expect(reports.map((r) => [r.reason, r.message])).toEqual([['schema_mismatch', '(root): the schema validates asynchronously; events need a synchronous one']])
  // Vitest fails the run on an unhandled rejection: let the rejected promise settle inside this test.
  await new Promise<void>((resolve) => queueMicrotask(() => queueMicrotask(() => resolve())))
  expect(settled).toBe(1)
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
