/**
 * The SSE transport's parser against `eventsource-parser` (a maintained, spec-complete parser; a dev
 * dependency only) on generated streams: every line ending (CR, LF, CRLF), BOM, comments, fields with
 * and without a colon or a space, `id` with NUL, `retry` with and without digits, multi-line `data`,
 * events without data — each stream cut into chunks at generated places. Both must see the same
 * events (data and last event id), the same retries and the same number of comments. (A leading BOM
 * is not the parsers' business: the transport's `TextDecoder` drops it before they see the text.)
 */
import { createParser } from 'eventsource-parser'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { createSseParser } from '../../src/transport/sse/sseParser'

const SEED = Number(process.env.MODEL_SEED ?? 20261204)

const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '\0', '1', '😀'), maxLength: 8 })
const lineOf = fc.oneof(
  fc.tuple(fc.constantFrom('data', 'id', 'retry', 'event', 'other', ''), fc.constantFrom(':', ': ', ':  ', ''), text).map(([field, sep, value]) => `${field}${sep}${value}`),
  fc.tuple(fc.constant('retry: '), fc.nat({ max: 99999 })).map(([field, value]) => `${field}${value}`),
  text.map((value) => `:${value}`),
  fc.constant(''),
)
const stream = fc.array(fc.tuple(lineOf, fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 30 }).map((lines) => lines.map(([line, end]) => line + end).join(''))
const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 12 })

function chunks(whole: string, at: number[]): string[] {
  const points = [...new Set(at.map((n) => n % (whole.length + 1)))].sort((a, b) => a - b)
  const out: string[] = []
  let from = 0
  for (const point of points) {
    out.push(whole.slice(from, point))
    from = point
  }
  out.push(whole.slice(from))
  return out
}

function runOurs(parts: string[]) {
  const seen = { events: [] as string[], retries: [] as number[], comments: 0 }
  const parser = createSseParser({
    onEvent: (data) => seen.events.push(data),
    onRetry: (ms) => seen.retries.push(ms),
    onComment: () => void seen.comments++,
  })
  for (const part of parts) parser.feed(part)
  return seen
}

function runReference(parts: string[]) {
  const seen = { events: [] as string[], retries: [] as number[], comments: 0 }
  const parser = createParser({
    onEvent: (event) => seen.events.push(event.data),
    onRetry: (ms) => seen.retries.push(ms),
    onComment: () => void seen.comments++,
  })
  for (const part of parts) parser.feed(part)
  return seen
}

test('the same events, retries and comments as eventsource-parser, however the stream is cut', () => {
  fc.assert(
    fc.property(stream, cuts, (whole, at) => {
      // eventsource-parser holds a CR that ends the whole stream (it may be half a CRLF), where the
      // standard ends the line there: it is given the LF that makes it a CRLF, the same line end.
      const expected = runReference([whole.endsWith('\r') ? `${whole}\n` : whole])
      expect(runOurs([whole])).toEqual(expected)
      expect(runOurs(chunks(whole, at))).toEqual(expected)
    }),
    { seed: SEED, numRuns: 2000 },
  )
})

test('a CR ends its line at once, also last in a chunk: no wait for the next chunk; a LF first in the next one is the rest of that CRLF', () => {
  const seen = { events: [] as string[], retries: [] as number[], comments: 0 }
  const parser = createSseParser({ onEvent: (data) => seen.events.push(data), onRetry: (ms) => seen.retries.push(ms), onComment: () => void seen.comments++ })
  parser.feed('data: a\r\r')
  expect(seen.events).toEqual(['a'])
  parser.feed('\ndata: b\r')
  parser.feed('\n\r\n')
  expect(seen.events).toEqual(['a', 'b'])
})

test('a long line fed in small pieces costs time in proportion to its length, and what waits unfinished is counted, data included', () => {
  const parser = createSseParser({ onEvent: () => {}, onRetry: () => {}, onComment: () => {} })
  const piece = 'x'.repeat(256)
  let waiting = parser.feed('data: ')
  // 2 MiB in 256-character pieces: quadratic re-searching took 30 s here; linear takes milliseconds.
  for (let i = 0; i < 8192; i++) waiting = parser.feed(piece)
  expect(waiting).toBe(6 + 8192 * 256)
  expect(parser.feed('\n')).toBe(8192 * 256)
  // An event whose data lines never meet a blank line grows too, and is counted.
  for (let i = 0; i < 10; i++) waiting = parser.feed(`data: ${piece}\n`)
  expect(waiting).toBe(8192 * 256 + 10 * (256 + 1))
})

test('the cases the standard spells out', () => {
  const seen = runOurs(['data: a\r', '\ndata:b\n\nid: 7\ndata\n\n: ping\nretry: 250\nretry: x\nid: a\0b\ndata: c\r\r\n'])
  expect(seen).toEqual({ events: ['a\nb', '', 'c'], retries: [250], comments: 1 })
})

test('an event that grows past the limit is skipped, however the stream is cut: every other event arrives, in order, and nothing of the skipped one', () => {
  const LIMIT = 60
  const small = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é'), maxLength: 10 })
  const event = fc.tuple(fc.array(small, { minLength: 1, maxLength: 2 }), fc.constantFrom('\n', '\r', '\r\n')).map(([lines, end]) => ({ lines, end }))
  // The oversized event: one long line, or many short data lines that add up.
  const giant = fc.oneof(
    fc.nat({ max: 300 }).map((n) => ({ lines: ['x'.repeat(LIMIT + 10 + n)], end: '\n' })),
    fc.nat({ max: 10 }).map((n) => ({ lines: Array.from({ length: 8 + n }, () => 'y'.repeat(12)), end: '\r\n' })),
  )
  fc.assert(
    fc.property(fc.array(event, { maxLength: 6 }), giant, fc.nat({ max: 6 }), cuts, (events, big, at, cutAt) => {
      const all: { lines: string[]; end: string }[] = [...events]
      const index = Math.min(at, all.length)
      all.splice(index, 0, big)
      const whole = all.map(({ lines, end }) => lines.map((line) => `data: ${line}${end}`).join('') + end).join('')
      const seen: string[] = []
      const parser = createSseParser({ onEvent: (data) => seen.push(data), onRetry: () => {}, onComment: () => {} })
      let skipped = 0
      // Cut at least once inside the oversized event, as a network delivers 2 MiB.
      for (const part of chunks(whole, [...cutAt, whole.indexOf(big.lines[0]!) + LIMIT])) {
        if (parser.feed(part) > LIMIT) {
          parser.skip()
          skipped++
        }
      }
      // The oversized event is skipped, or arrives whole when it ended inside the chunk that made it
      // too long (the frame decoder's own limit then drops it): never in part.
      const giantData = big.lines.join('\n')
      const giantSeen = seen.filter((data) => data === giantData).length
      expect(giantSeen + Math.min(skipped, 1)).toBe(1)
      // Each small event's data lines joined with LF, the standard's way.
      expect(seen.filter((data) => data !== giantData)).toEqual(events.map(({ lines }) => lines.join('\n')))
    }),
    { seed: SEED, numRuns: 2000 },
  )
})
