// An admitted socket is checked again every `recheckAccessMs`: a revoked user, or one whose project
// was taken away, kept receiving the project's events for as long as the connection stayed up (the
// SSE route handler's probe found the same in the reference server, 2026-12-06).
import { afterEach, expect, test, vi } from 'vitest'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(disposeAll)

function policy() {
  const revoked = new Set<string>()
  const removed = new Set<string>()
  let checks = 0
  return {
    revoked,
    removed,
    checks: () => checks,
    authenticate: (token: string) => (checks++, revoked.has(token) ? null : { id: token }),
    authorize: (user: { id: string }, projectId: string) => !removed.has(`${user.id}:${projectId}`),
  }
}

test('a revoked token is closed with 4401 at the next check, a project taken away with 4403; others stay', async () => {
  const access = policy()
  const { server, connect } = await startServer({ authenticate: access.authenticate, authorize: access.authorize, recheckAccessMs: 50 })
  const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
  const bob = connect('/ws/projects/p1', { token: 'tok-bob' })
  const carol = connect('/ws/projects/p1', { token: 'tok-carol' })
  await Promise.all([alice.opened(), bob.opened(), carol.opened()])
  await server.publish('p1', { type: 'index_started', project_id: 'p1' })
  await Promise.all([alice, bob, carol].map((client) => client.until(() => client.events().some((event) => event.type === 'index_started'))))
  access.revoked.add('tok-alice')
  access.removed.add('tok-bob:p1')
  expect(await alice.untilClosed()).toEqual({ code: 4401, reason: 'invalid token' })
  expect(await bob.untilClosed()).toEqual({ code: 4403, reason: 'forbidden' })
  // Carol, still allowed, is checked again and keeps receiving.
  const checked = access.checks()
  await vi.waitFor(() => expect(access.checks()).toBeGreaterThan(checked + 1))
  await server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 3 })
  await carol.until(() => carol.events().some((event) => event.type === 'index_complete'))
  expect(carol.closed).toBeNull()
  expect(server.metrics().drops).toMatchObject({ unauthenticated: 1, forbidden: 1 })
})

test('recheckAccessMs: false checks once, at admission', async () => {
  const access = policy()
  const { server, connect } = await startServer({ authenticate: access.authenticate, authorize: access.authorize, recheckAccessMs: false })
  const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
  await alice.opened()
  access.revoked.add('tok-alice')
  // Events keep coming; no check runs however many are published.
  for (let i = 1; i <= 3; i++) await server.publish('p1', { type: 'index_started', project_id: 'p1' })
  await alice.until(() => alice.events().filter((event) => event.type === 'index_started').length >= 1)
  expect(access.checks()).toBe(1)
  expect(alice.closed).toBeNull()
})
