// `maxConnectionsPerUser` as a function: a relay's service user holds one upstream stream per
// browser stream, and needs a cap of its own without lifting every user's. Real servers on free
// loopback ports.
import { afterEach, describe, expect, test } from 'vitest'
import { capture } from './support/captureLog'
import { disposeAll, startServer, type TestUser } from './support/serverHarness'

afterEach(disposeAll)

const SERVICE_TOKEN = 'tok-service-7f3a9c'
const serviceUsers: Record<string, TestUser> = {
  'tok-alice': { id: 'alice', projects: ['p1'] },
  [SERVICE_TOKEN]: { id: 'relay', projects: ['p1'] },
}
const authenticate = (token: string) => serviceUsers[token]

describe('maxConnectionsPerUser as a function', () => {
  test('the service user gets its own cap; every other user keeps theirs, and each is asked with the user and its id', async () => {
    const asked: [string, string][] = []
    const { server, connect } = await startServer({
      authenticate,
      maxConnectionsPerUser: (user, userId) => {
        asked.push([user.id, userId])
        return userId === 'relay' ? 3 : 1
      },
    })
    const relays = [1, 2, 3].map(() => connect('/ws/projects/p1', { token: SERVICE_TOKEN }))
    await Promise.all(relays.map((socket) => socket.opened()))
    const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
    await alice.opened()
    await expect.poll(() => server.stats.connections).toBe(4)

    expect((await connect('/ws/projects/p1', { token: 'tok-alice' }).untilClosed()).code).toBe(4429)
    expect((await connect('/ws/projects/p1', { token: SERVICE_TOKEN }).untilClosed()).code).toBe(4429)
    expect(server.metrics().drops.too_many_connections).toBe(2)
    expect(asked).toContainEqual(['relay', 'relay'])
    expect(asked).toContainEqual(['alice', 'alice'])
  })

  test('an asynchronous answer (a plan looked up) and Infinity both hold', async () => {
    const { server, connect } = await startServer({
      authenticate,
      maxConnectionsPerUser: async (_user, userId) => (userId === 'relay' ? Infinity : 1),
    })
    const relays = Array.from({ length: 12 }, () => connect('/ws/projects/p1', { token: SERVICE_TOKEN }))
    await Promise.all(relays.map((socket) => socket.opened()))
    await expect.poll(() => server.stats.connections).toBe(12)
    await connect('/ws/projects/p1', { token: 'tok-alice' }).opened()
    expect((await connect('/ws/projects/p1', { token: 'tok-alice' }).untilClosed()).code).toBe(4429)
  })

  test.each([
    ['a throw that quotes the token', () => {
      throw new Error(`no plan for ${SERVICE_TOKEN}`)
    }, 'maxConnectionsPerUser threw', 'no plan for'],
    ['0', () => 0, 'maxConnectionsPerUser did not answer a cap', 'got 0'],
    ['NaN', () => Number.NaN, 'maxConnectionsPerUser did not answer a cap', 'got NaN'],
    ['a string', () => '5' as unknown as number, 'maxConnectionsPerUser did not answer a cap', 'got string'],
    ['1.5 (a cap counts connections)', () => 1.5, 'maxConnectionsPerUser did not answer a cap', 'got 1.5'],
    ['a rejected promise', () => Promise.reject(new Error('database down')), 'maxConnectionsPerUser threw', 'database down'],
  ])('%s refuses that connection with 1011 and a log line without the token; the server goes on', async (_name, limit, logged, detail) => {
    const { logger, lines } = capture()
    const { server, connect } = await startServer({
      authenticate,
      logger,
      maxConnectionsPerUser: (_user, userId) => (userId === 'relay' ? limit() : 2),
    })
    const refused = await connect('/ws/projects/p1', { token: SERVICE_TOKEN }).untilClosed()
    expect(refused.code).toBe(1011)
    const line = lines.find((entry) => entry.message === logged)
    expect(line?.level).toBe('error')
    expect(JSON.stringify(line?.fields)).toContain(detail)
    expect(JSON.stringify(lines)).not.toContain(SERVICE_TOKEN)
    expect(server.metrics().drops.internal_error).toBe(1)
    expect(server.retained.users).toBe(0)
    await connect('/ws/projects/p1', { token: 'tok-alice' }).opened()
  })

  test.each([0, 0.5, 1.5, -1, Number.NaN])('a static %s is refused when the server is created, as a function answering it refuses the connection', (cap) =>
    expect(() => startServer({ maxConnectionsPerUser: cap })).rejects.toThrow(`maxConnectionsPerUser must be a whole number, 1 or more, Infinity, or a function (got ${cap})`))

  test('a static Infinity is taken, as a function may answer it: no cap', async () => {
    const { server, connect } = await startServer({ authenticate, maxConnectionsPerUser: Infinity })
    await Promise.all(Array.from({ length: 12 }, () => connect('/ws/projects/p1', { token: 'tok-alice' }).opened()))
    await expect.poll(() => server.stats.connections).toBe(12)
  })
})
