import fc from 'fast-check'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { resumeBySeq } from '../../src/transport'
import { FrameDecoder, type FrameSubscriber } from '../../src/transport/frameDecoder'
import type { EventError } from '../../src/transport/types'

// A transport may hand the decoder a list of frames that arrived together (an SSE chunk's events, a
// cross-tab batch). The list must decode exactly as its frames one by one would, with one
// `onEvents` call per subscriber for the whole list.

const schema = z.looseObject({ type: z.enum(['progress', 'done']), n: z.number().int().nonnegative() })

const frame = fc.oneof(
  fc.record({ type: fc.constantFrom('progress', 'done'), n: fc.nat(50), seq: fc.nat(1000) }).map((event) => JSON.stringify(event)),
  fc.record({ type: fc.constantFrom('progress', 'nope'), n: fc.integer({ min: -3, max: 3 }) }).map((event) => JSON.stringify(event)),
  fc.constantFrom(
    '{"type":"ping"}',
    '{"type":"client_error","messageType":"x","reason":"bad"}',
    '{"type":"batch","events":[{"type":"progress","n":1,"seq":5},{"type":"done","n":-1},7,{"type":"done","n":2}]}',
    '{"type":"progress","n":1,"__proto__":{"polluted":true}}',
    '{"type":"progress"',
    'null',
    '[1,2]',
    `{"type":"progress","n":${'['.repeat(80)}${']'.repeat(80)}}`,
    `{"type":"progress","n":1,"pad":"${'x'.repeat(300)}"}`,
  ),
  fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47])),
  fc.constant(new TextEncoder().encode('{"type":"done","n":3}')),
)

/** A decoder and everything it says, through two subscribers: one validating, one taking all. */
function observed() {
  const said: { events: unknown[][][]; reports: EventError[]; binary: unknown[]; controls: unknown[] } = { events: [[], []], reports: [], binary: [], controls: [] }
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 256, maxNestingDepth: 64, discriminator: 'type', controlTypes: ['ping'], resumeParam: resumeBySeq('since'), onEventError: (error) => said.reports.push(error), onCallbackError: (error) => { throw error } },
    'ws://x/ws',
    () => 'secret-token',
    (message) => said.controls.push(message),
  )
  const subscribers: FrameSubscriber[] = [
    { schema, onEvents: (events) => said.events[0]!.push(events) },
    { onEvents: (events) => said.events[1]!.push(events), onBinary: (data) => said.binary.push(data) },
  ]
  return { decoder, said, dispatch: (data: unknown) => decoder.dispatch(data, subscribers) }
}

test('a list of frames decodes as its frames one by one, with one onEvents call per subscriber', () => {
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 12 }), (frames) => {
      const one = observed()
      const list = observed()
      for (const data of frames) one.dispatch(data)
      list.dispatch(frames)

      for (const i of [0, 1]) {
        expect(list.said.events[i]!.flat()).toEqual(one.said.events[i]!.flat())
        expect(list.said.events[i]!.length).toBeLessThanOrEqual(1)
      }
      expect(list.said.reports).toEqual(one.said.reports)
      expect(list.said.binary).toEqual(one.said.binary)
      expect(list.said.controls).toEqual(one.said.controls)
      expect(list.decoder.stats).toEqual(one.decoder.stats)
      expect(list.decoder.stats.framesReceived).toBe(frames.length)
      expect(list.decoder.maxSeq).toBe(one.decoder.maxSeq)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }),
    { seed: 20261205, numRuns: 300 },
  )
})

test("a rejected message's sample is its own frame, not the list's last", () => {
  const { said, dispatch } = observed()
  dispatch(['{"type":"client_error","reason":"bad"}', '{"type":"progress","n":2}'])
  expect(said.reports).toEqual([expect.objectContaining({ reason: 'rejected', sample: '{"type":"client_error","reason":"bad"}' })])
  expect(said.events[0]).toEqual([[{ type: 'progress', n: 2 }]])
})

test("every callback of a list comes in its frames' order, as for its frames one by one (text frames are parsed first)", () => {
  const run = (dispatch: (decoder: FrameDecoder, subscribers: FrameSubscriber[]) => void) => {
    const log: unknown[] = []
    const decoder = new FrameDecoder(
      {
        maxPayloadBytes: 256,
        discriminator: 'type',
        controlTypes: ['ping'],
        binaryFrames: (data) => (log.push(['binaryFrames']), new TextDecoder().decode(data as Uint8Array)),
        onEventError: (error) => log.push(['report', error.reason, error.sample]),
        onCallbackError: (error) => log.push(['callbackError', String(error)]),
      },
      'ws://x/ws',
      () => [],
      (message) => log.push(['control', message]),
    )
    const validating = { '~standard': { version: 1 as const, vendor: 'app', validate: (value: unknown) => (log.push(['validate', value]), schema['~standard'].validate(value)) } }
    dispatch(decoder, [{ schema: validating as never, onEvents: (events) => log.push(['events', events]) }])
    return log
  }
  const frames = [
    '{"type":"progress","n":1}',
    '{"type":"ping"}',
    new TextEncoder().encode('{"type":"done","n":2}'),
    '{"type":"progress"',
    '{"type":"batch","events":[{"type":"done","n":-1},{"type":"progress","n":3}]}',
    new TextEncoder().encode('{"type":"nope","n":1}'),
    '{"type":"client_error","reason":"bad"}',
  ]
  const oneByOne = run((decoder, subscribers) => frames.forEach((frame) => decoder.dispatch(frame, subscribers)))
  const asList = run((decoder, subscribers) => decoder.dispatch(frames, subscribers))
  const withoutEvents = (log: unknown[]) => log.filter((entry) => (entry as unknown[])[0] !== 'events')
  expect(withoutEvents(asList)).toEqual(withoutEvents(oneByOne))
  expect(asList.filter((entry) => (entry as unknown[])[0] === 'events')).toEqual([['events', [{ type: 'progress', n: 1 }, { type: 'done', n: 2 }, { type: 'progress', n: 3 }]]])
})
