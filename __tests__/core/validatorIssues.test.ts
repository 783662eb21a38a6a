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
