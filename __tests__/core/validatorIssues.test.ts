// "Nothing it is fed can throw out of dispatch" — a hand-written Standard Schema whose issues
// are not quite the spec's shape (a string path, a hole in the list): an attacker's probe, 2026-12-06.
import { expect, test } from 'vitest'
import { FrameDecoder } from '../../src/transport/frameDecoder'

function decoder(errors: unknown[]) {
  return new FrameDecoder({ maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: (e) => errors.push(e), onCallbackError: (e) => errors.push(e) }, 'ws://x', () => [])
}
const schemaAnswering = (result: unknown) => ({ '~standard': { version: 1 as const, vendor: 'app', validate: () => result } })

test.each([
  ['a string path', { issues: [{ message: 'unknown type', path: 'type' }] }],
  ['a null issue', { issues: [null] }],
  ['issues as one string', { issues: 'unknown type' }],
])('a validator answering %s: the message is dropped and reported, nothing is thrown', (_name, answer) => {
  const errors: unknown[] = []
  const d = decoder(errors)
  // Before, `#classify` read `issue.path` / `path.map` / `issues.every` unguarded; the TypeError
  // escaped dispatch (and the socket's onmessage: an uncaught exception).
  expect(() => d.dispatch('{"type":"x"}', [{ schema: schemaAnswering(answer) as never, onEvents: () => {} }])).not.toThrow()
  expect(d.stats.dropped.schema_mismatch + d.stats.dropped.unknown_type).toBe(1)
})

test("a loose object's checks follow each value's own keys, whatever the order and number of the last value's", async () => {
  const { looseObject, nullish, number, oneOf, run, string } = await import('../../src/sync/validate')
  const check = looseObject({ type: oneOf(['a', 'b']), n: nullish(number), s: nullish(string) })
  const padding = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]))
  // The same keys in other places, keys past the 64th place, and a key of the shape where another stood before.
  const values: [unknown, boolean][] = [
    [{ type: 'a', n: 1, s: 'x' }, true],
    [{ s: 'x', n: 1, type: 'b' }, true],
    [{ type: 'a', s: 1 }, false],
    [{ type: 'a', n: 's' }, false],
    [{ ...padding, type: 'a', n: 2 }, true],
    [{ ...padding, type: 'a', n: 'x' }, false],
    [{ ...padding, type: 'a', s: 'x' }, true],
    [{ ...padding, type: 'a', s: 3 }, false],
    [{ type: 'a', n: 1, s: 'x' }, true],
    [{ type: 'a', s: 'x', n: 'x' }, false],
  ]
  for (let round = 0; round < 2; round++) {
    for (const [value, ok] of values) {
      const result = run(check, value)
      expect(!result.issues).toBe(ok)
      if (result.issues) expect(result.issues).toHaveLength(1)
    }
  }
  const both = run(check, { type: 'a', n: 'x', s: 3 })
  expect(both.issues?.map((issue) => issue.path)).toEqual([['n'], ['s']])
})
