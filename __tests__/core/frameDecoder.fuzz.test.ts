import { expect, test } from 'vitest'
import { z } from 'zod'
import { FrameDecoder } from '../../src/transport/frameDecoder'

const schema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('index_started'), project_id: z.string() }),
  z.object({ type: z.literal('index_complete'), project_id: z.string(), entity_count: z.number().int().nonnegative() }),
])

/** Deterministic generator of malformed frames: every one must be dropped. */
function* malformedFrames(count: number): Generator<unknown> {
  let seed = 7
  const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n
  const big = 'x'.repeat(1024 * 1024)
  const makers: (() => unknown)[] = [
    () => `{"type":"index_started","project_id":"p${rand(9)}"`, // truncated JSON
    () => 'not json at all ' + rand(1e6),
    () => '',
    () => 'null',
    () => String(rand(1000)),
    () => '"a string"',
    () => '[{"type":"index_started","project_id":"p"}]',
    () => JSON.stringify({ type: 'index_started', project_id: rand(100) }),
    () => JSON.stringify({ type: 'index_complete', project_id: 'p', entity_count: -rand(5) - 1 }),
    () => JSON.stringify({ type: 'index_complete', project_id: 'p', entity_count: 'many' }),
    () => JSON.stringify({ type: `unknown_${rand(50)}`, project_id: 'p' }),
    () => JSON.stringify({ type: ['index_started'], project_id: 'p' }),
    () => JSON.stringify({ project_id: 'p' }),
    () => `{"__proto__":{"polluted":true},"type":"index_started"}`,
    () => `{"type":"index_started","project_id":"p","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`.replace('"project_id":"p",', ''),
    () => `{"type":"batch","events":[{"__proto__":{"polluted":true}},{"type":"nope"},42,null]}`,
    () => JSON.stringify({ type: 'batch', events: [{ type: 'index_complete', project_id: 'p' }] }),
    () => JSON.stringify({ type: 'batch-update', updates: [{ type: 'index_started' }] }),
    () => JSON.stringify({ type: 'index_started', project_id: big }).slice(0, 1024 * 1024 + 100),
    () => JSON.stringify({ type: 'index_started', project_id: big }),
    () => new Uint8Array([0xff, 0xfe, 0xfd]),
    () => new ArrayBuffer(2 * 1024 * 1024),
    () => ({ not: 'a frame' }),
    () => undefined,
    () => Symbol('frame'),
    () => '{"type":"index_started","project_id":"\\ud800"}'.replace('"project_id":"\\ud800"', '"project_id":1'),
    () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
    () => `{"type":"index_started","project_id":"p","nested":${'{"a":'.repeat(2000)}1${'}'.repeat(1999)}`,
  ]
  for (let i = 0; i < count; i++) yield makers[i % makers.length]!()
}

test('10,000 malformed frames: nothing escapes, nothing is delivered, Object.prototype untouched', () => {
  const errors: unknown[] = []
  const reported: string[] = []
  const decoder = new FrameDecoder(
    {
      maxPayloadBytes: 1024 * 1024,
      discriminator: 'type',
      controlTypes: ['pong'],
      onEventError: (e) => reported.push(e.reason),
      onCallbackError: (e) => errors.push(e),
    },
    'ws://x/ws',
    () => 'tok',
  )
  const delivered: unknown[] = []
  const subscribers = [{ schema, onEvents: (events: unknown[]) => delivered.push(...events) }]
  let frames = 0
  for (const frame of malformedFrames(10_000)) {
    expect(() => decoder.dispatch(frame, subscribers)).not.toThrow()
    frames++
  }
  expect(frames).toBe(10_000)
  expect(delivered).toEqual([])
  expect(errors).toEqual([])
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false)
  expect(decoder.stats.eventsDelivered).toBe(0)
  const dropped = Object.values(decoder.stats.dropped).reduce((a, b) => a + b, 0)
  // Every frame is dropped at least once (batches may drop several messages).
  expect(dropped).toBeGreaterThanOrEqual(10_000)
  expect(reported.length).toBe(dropped)
  expect(new Set(reported)).toEqual(new Set(['invalid_json', 'too_large', 'binary', 'not_an_object', 'unknown_type', 'schema_mismatch']))
})

test('a valid event next to a __proto__ key is delivered without the key', () => {
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 1024, discriminator: 'type', controlTypes: [], onEventError: undefined, onCallbackError: () => {} },
    'ws://x',
    () => null,
  )
  const got: unknown[] = []
  decoder.dispatch('{"type":"a","__proto__":{"polluted":1},"n":1}', [{ onEvents: (e) => got.push(...e) }])
  expect(got).toHaveLength(1)
  expect(Object.keys(got[0] as object)).toEqual(['type', 'n'])
  expect(Object.getPrototypeOf(got[0])).toBe(Object.prototype)
})
