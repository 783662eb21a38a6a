import fc from 'fast-check'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'
import { operationEventSchema } from '../../src/channels/schemas'
import { looseObject, nullish, number, oneOf, run, string, withDefault, type Issue, type Schema } from '../../src/sync/validate'
import { FrameDecoder, type FrameDecoderOptions, type FrameSubscriber } from '../../src/transport/frameDecoder'
import type { EventError } from '../../src/transport/types'
import { fakeSource } from '../helpers/fakeSources'
import { createMockEndpoint, flush } from '../helpers/mockEndpoint'

// The per-event fast paths of 16b1dc9 (a lease per subscription, the validators' per-place memory,
// the batch lookup by pairs, lists decoded first) against what they replaced: same results, same
// order of callbacks, bounded memory.

// ---- validate.ts: a loose object's per-place memory ----------------------------------------------

type Check = (value: unknown, issues: Issue[]) => unknown

/** A shape whose checks count their calls, and whose `child` check calls the same loose object (re-entrancy). */
function countedShape() {
  const calls: Record<string, number> = {}
  const counted = (key: string, check: Check): Schema<unknown> =>
    ((value: unknown, issues: Issue[]) => {
      calls[key] = (calls[key] ?? 0) + 1
      return check(value, issues)
    }) as unknown as Schema<unknown>
  let self: Schema<unknown>
  const shape = {
    type: counted('type', oneOf(['a', 'b'])),
    n: counted('n', nullish(number)),
    s: counted('s', nullish(string)),
    '0': counted('0', nullish(string)),
    '10': counted('10', nullish(number)),
    d: counted('d', withDefault(number, 7)),
    child: counted('child', nullish(((value: unknown, issues: Issue[]) => self(value, issues)) as unknown as Schema<unknown>)),
  }
  self = looseObject(shape) as Schema<unknown>
  return { self, calls }
}

const key = fc.constantFrom('type', 'n', 's', '0', '10', 'd', 'child', 'x', '1', '__proto__', 'constructor', 'toString', '00', '-1', '4294967295')
const leaf = fc.oneof(fc.constantFrom('a', 'b', 'z'), fc.integer({ min: -2, max: 2 }), fc.constant(null), fc.constant(Number.NaN))
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  object: fc
    .tuple(fc.array(fc.tuple(key, fc.oneof({ depthSize: 'small' }, leaf, tie('object'))), { maxLength: 9 }), fc.nat(80))
    .map(([entries, padding]) => {
      // Own keys, `__proto__` included (as JSON.parse makes them), and up to 80 more past the 64th place.
      const object: Record<string, unknown> = {}
      for (const [k, v] of entries) Object.defineProperty(object, k, { value: v, enumerable: true, configurable: true, writable: true })
      for (let i = 0; i < padding; i++) object[`p${i}`] = i
      return object
    }),
})).object

test("a loose object used again and again answers as a new one would (order, numeric keys, __proto__, > 64 keys, re-entrancy, each check once)", () => {
  const reused = countedShape()
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values) => {
      for (const v of values) {
        for (const k of Object.keys(reused.calls)) delete reused.calls[k]
        const fresh = countedShape()
        // Its making probed each check with `undefined`: counted from here.
        for (const k of Object.keys(fresh.calls)) delete fresh.calls[k]
        const a = run(reused.self as never, v)
        const b = run(fresh.self as never, v)
        expect(a).toEqual(b)
        expect(reused.calls).toEqual(fresh.calls)
      }
    }),
    { seed: 16_1_9, numRuns: 400 },
  )
})

test('a key that is required or defaulted is checked once, even when the value lists it', () => {
  const { self, calls } = countedShape()
  for (let round = 0; round < 3; round++) {
    for (const k of Object.keys(calls)) delete calls[k]
    expect(run(self as never, { d: 1, type: 'a', n: 2 })).toEqual({ value: { d: 1, type: 'a', n: 2 } })
    expect(calls).toEqual({ type: 1, d: 1, n: 1 })
  }
})

test('oneOf: SameValueZero on its constant list, as the Set was', () => {
  const check = oneOf(['a', 'b'])
  for (const [v, ok] of [['a', true], ['b', true], ['c', false], [Number.NaN, false], [undefined, false], [null, false], [0, false], [{ toString: () => 'a' }, false], [new String('a'), false]] as const)
    expect(!run(check, v).issues).toBe(ok)
})

/**
 * Found a defect: the per-place memory keeps the key strings themselves, of any length. 63 frames
 * of under 1 MiB (the default `maxPayloadBytes`), each with a long key at another place, keep
 * ~63 MB alive in the module-level `operationEventSchema` until later values put other keys at
 * those places (ordinary events have a dozen keys: places past them are never replaced). Before,
 * a check kept nothing. The fix: remember a place's key only when it is short.
 */
test("a loose object's memory of keys is bounded in bytes, not only in places", () => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 1024 * 1024, discriminator: 'type', controlTypes: [], onEventError: undefined, onCallbackError: (error) => { throw error } },
    'ws://x/ws',
    () => [],
  )
  const subscribers: FrameSubscriber[] = [{ schema: operationEventSchema as never, onEvents: () => {} }]
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 63; i >= 1; i--) {
    const small = Array.from({ length: i - 1 }, (_, j) => `,"k${j}":0`).join('')
    decoder.dispatch(`{"type":"operation_progress"${small},"${String.fromCharCode(97 + (i % 26)).repeat(1_000_000 - 8 * i)}":1}`, subscribers)
  }
  expect(decoder.stats.eventsDelivered).toBe(63)
  decoder.dispatch('{"type":"operation_progress","operation_id":"1"}', subscribers)
  gc()
  gc()
  const retainedMB = (process.memoryUsage().heapUsed - before) / 1e6
  expect(retainedMB).toBeLessThan(16)
})

// ---- frameDecoder.ts: the batch lookup and samples ------------------------------------------------

function decoderWith(options: Partial<FrameDecoderOptions>) {
  const said: { events: unknown[]; reports: EventError[]; controls: unknown[] } = { events: [], reports: [], controls: [] }
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 4096, discriminator: 'type', controlTypes: ['ping'], onEventError: (error) => said.reports.push(error), onCallbackError: (error) => { throw error }, ...options },
    'ws://x/ws',
    () => [],
    (message) => said.controls.push(message),
  )
  const dispatch = (data: unknown) => decoder.dispatch(data, [{ onEvents: (events) => said.events.push(...events) }])
  return { decoder, said, dispatch }
}

/** The old lookup, a Map of `batches`: the field of the frame's name, when it holds a list. */
function oldLookup(batches: Record<string, string>, discriminator: string, parsed: Record<string, unknown>): string {
  const map = new Map(Object.entries(batches))
  const name = Object.hasOwn(parsed, discriminator) ? parsed[discriminator] : parsed.type
  const list = map.get(name as string) ?? ''
  return list !== '' && Array.isArray(parsed[list]) ? list : ''
}

describe('the batch lookup finds what the Map found', () => {
  const cases: [Record<string, string> | undefined, string, string][] = [
    [undefined, 'type', '{"type":"batch","events":[{"type":"a"},{"type":"b"}]}'],
    [undefined, 'type', '{"type":"batch","events":"no"}'],
    [undefined, 'type', '{"type":"toString","events":[{"type":"a"}]}'],
    [{ batch: 'events', many: 'events' }, 'type', '{"type":"many","events":[{"type":"a"}]}'],
    [{ batch: 'events', many: 'events' }, 'type', '{"type":"other","events":[{"type":"a"}]}'],
    [{ batch: 'events', other: 'items' }, 'type', '{"type":"batch","items":[{"type":"a"}],"events":"x"}'],
    [{ batch: 'events', other: 'items' }, 'type', '{"type":"other","items":[{"type":"a"}],"events":[{"type":"b"}]}'],
    [{ many: 'list' }, 'kind', '{"kind":"many","type":"batch","list":[{"kind":"a"}]}'],
    [{ many: 'list' }, 'kind', '{"type":"many","list":[{"kind":"a"}]}'],
    [{ many: 'list' }, 'kind', '{"kind":null,"type":"many","list":[{"kind":"a"}]}'],
    [{ '1': 'events' }, 'type', '{"type":1,"events":[{"type":"a"}]}'],
    [{ '1': 'events' }, 'type', '{"type":"1","events":[{"type":"a"}]}'],
    [{ constructor: 'events' }, 'type', '{"type":"constructor","events":[{"type":"a"}]}'],
    [{ batch: 'constructor' }, 'type', '{"type":"batch","constructor":[{"type":"a"}]}'],
    [{ batch: '__proto__' }, 'type', '{"type":"batch","__proto__":[{"type":"a"}]}'],
    [{ batch: '' }, 'type', '{"type":"batch","":[{"type":"a"}]}'],
    [{ toString: 'events' }, 'type', '{"type":"toString","events":[{"type":"a"}]}'],
  ]
  test.each(cases)('batches %j, discriminator %s: %s', (batches, discriminator, text) => {
    const { said, dispatch } = decoderWith({ batches, discriminator })
    dispatch(text)
    // The reviver drops the dangerous keys before the lookup.
    const parsed = JSON.parse(text, (k, v) => (['__proto__', 'constructor', 'prototype'].includes(k) ? undefined : v))
    const list = oldLookup(batches ?? { batch: 'events' }, discriminator, parsed)
    const names = (messages: Record<string, unknown>[]) => messages.map((message) => (Object.hasOwn(message, discriminator) ? message[discriminator] : message.type))
    expect(names(said.events as Record<string, unknown>[])).toEqual(names(list ? parsed[list] : [parsed]))
  })
})

test("a drop's sample: the frame for one message, the message's JSON for a batch's (empty lists, non-objects, shared fields)", () => {
  const { said, decoder, dispatch } = decoderWith({})
  dispatch([
    '7',
    '{"type":"client_error","reason":"r1"}',
    '{"type":"batch","events":[]}',
    '{"type":"batch","events":[1,"x",null,[2],{"type":"client_error","reason":"r2"}]}',
    '{"type":"batch","projectId":"p","events":[3,{"type":"client_error","reason":"r3"}]}',
    { oversizedChars: 9999 },
    '{"type":',
    new Uint8Array([1, 2]),
  ])
  expect(said.reports.map((r) => [r.reason, r.sample])).toEqual([
    ['not_an_object', '7'],
    ['rejected', '{"type":"client_error","reason":"r1"}'],
    ['not_an_object', '1'],
    ['not_an_object', '"x"'],
    ['not_an_object', 'null'],
    ['not_an_object', '[2]'],
    ['rejected', '{"type":"client_error","reason":"r2"}'],
    ['not_an_object', '3'],
    ['rejected', '{"projectId":"p","type":"client_error","reason":"r3"}'],
    ['too_large', ''],
    ['invalid_json', '{"type":'],
    ['binary', ''],
  ])
  expect(decoder.stats.framesReceived).toBe(8)
})

test('stats read by a callback in the middle of a list are those of the frames before it, as one by one', () => {
  const seen: [string, number, number][] = []
  let decoder!: FrameDecoder
  const note = (what: string) => seen.push([what, decoder.stats.framesReceived, decoder.stats.dropped.invalid_json + decoder.stats.dropped.too_large])
  const make = () =>
    (decoder = new FrameDecoder(
      { maxPayloadBytes: 64, discriminator: 'type', controlTypes: ['ping'], binaryFrames: (data) => (note('binaryFrames'), (data as Uint8Array)[0] === 0x89 ? undefined : new TextDecoder().decode(data as Uint8Array)), onEventError: (error) => note(error.reason), onCallbackError: (error) => { throw error } },
      'ws://x/ws',
      () => [],
      () => note('control'),
    ))
  const frames = ['{"type":"ping"}', '{"type":', new TextEncoder().encode('{"type":"ping"}'), new Uint8Array([0x89, 1]), '{"type":"ping"}', `{"type":"${'x'.repeat(80)}"}`, { oversizedChars: 100 }, '{"type":"ping"}']
  make()
  for (const frame of frames) decoder.dispatch(frame, [{ onBinary: () => note('onBinary') }])
  const oneByOne = seen.splice(0)
  make()
  decoder.dispatch(frames, [{ onBinary: () => note('onBinary') }])
  expect(seen).toEqual(oneByOne)
  expect(seen.map(([what]) => what)).toEqual(['control', 'invalid_json', 'binaryFrames', 'control', 'binaryFrames', 'onBinary', 'control', 'too_large', 'too_large', 'control'])
})

// ---- socketHub.ts / connection.ts: leases ---------------------------------------------------------

describe('leases', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => {
    vi.clearAllTimers()
    vi.useRealTimers()
  })
  const setup = () => {
    const endpoint = createMockEndpoint()
    const errors: unknown[] = []
    const hub = new SocketHub({ token: 't', WebSocket: endpoint.WebSocket, onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, auth: { type: 'query' }, onCallbackError: (error) => errors.push(error) })
    return { endpoint, hub, errors }
  }

  test("a lease released after its connection was disposed and replaced (idle close, hub.dispose) leaves the new connection's leases", async () => {
    const { endpoint, hub, errors } = setup()
    const received: unknown[] = []
    const subscriber = { onEvents: (events: unknown[]) => received.push(...events) }
    const old = hub.acquire(endpoint.url, subscriber)
    await flush()
    old.release()
    await vi.advanceTimersByTimeAsync(1000)
    expect(hub.size).toBe(0)
    const next = hub.acquire(endpoint.url, subscriber)
    await flush()
    expect(next.connection).not.toBe(old.connection)
    old.release()
    old.release()
    expect(next.connection.subscriberCount).toBe(1)
    endpoint.send({ type: 'x' })
    expect(received).toEqual([{ type: 'x' }])
    // No idle timer from the stale release: the connection stays past idleCloseMs.
    await vi.advanceTimersByTimeAsync(5000)
    expect(hub.get(endpoint.url)).toBe(next.connection)
    hub.dispose()
    const third = hub.acquire(endpoint.url, subscriber)
    await flush()
    next.release()
    expect(third.connection.subscriberCount).toBe(1)
    third.release()
    await vi.advanceTimersByTimeAsync(1000)
    expect(hub.size).toBe(0)
    expect(endpoint.live()).toBe(0)
    expect(errors).toEqual([])
  })

  test('one object acquired twice: two subscriptions counted, the second release arms the idle close', async () => {
    const { endpoint, hub } = setup()
    const subscriber = {}
    const a = hub.acquire(endpoint.url, subscriber)
    const b = hub.acquire(endpoint.url, subscriber)
    expect(a.connection.subscriberCount).toBe(2)
    await flush()
    a.release()
    a.release()
    expect(b.connection.subscriberCount).toBe(1)
    await vi.advanceTimersByTimeAsync(5000)
    expect(b.connection.getStatus().state).toBe('open')
    b.release()
    expect(b.connection.subscriberCount).toBe(0)
    await vi.advanceTimersByTimeAsync(1000)
    expect(hub.size).toBe(0)
  })

  // Not claimed by the commit: every read of a subscriber's field (getters of `schema`,
  // `knownTypes`, `discriminator`) now has `this` = the subscriber, as `onOpen` has. Before, a
  // class whose getter read a private field threw out of the socket's message handler.
  test("a subscriber's getters run with `this` = the subscriber", async () => {
    const { endpoint, hub } = setup()
    const received: unknown[] = []
    class Subscriber {
      #events: unknown[] = received
      get onEvents() {
        return (events: unknown[]) => this.#events.push(...events)
      }
    }
    const lease = hub.acquire(endpoint.url, new Subscriber())
    await flush()
    endpoint.send({ type: 'x' })
    expect(received).toEqual([{ type: 'x' }])
    lease.release()
  })
})
