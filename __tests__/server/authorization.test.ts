// Issue #21, item 5: authorization fails closed. Without `authorize`, an authenticated user joins
// no project; open access is an explicit choice, and the start-up log names the mode in effect.
import { afterEach, describe, expect, test } from 'vitest'
import { ANY_AUTHENTICATED_USER, createLiveStatusServer, type LiveStatusServerOptions } from '../../src/server'
import { configFromEnv } from '../../src/server/config/fromEnv'
import { disposeAll, startServer, type TestUser } from './support/serverHarness'
import { capture, type Line } from './support/captureLog'

afterEach(disposeAll)

const modeLines = (lines: Line[]) => lines.filter((l) => 'authorization' in l.fields)
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

describe('without `authorize`', () => {
  test('a token for project A cannot read project SECRET: 4403 on the socket, 403 on every REST route; the start-up log says so once', async () => {
    const { lines, logger } = capture()
    // alice's token is for p1 and p2 only; nothing tells the server so, and it must not guess.
    const { server, url, connect } = await startServer({ authorize: undefined, logger, onReindex: () => {} })
    await server.publish('SECRET', { type: 'operation_started', operation_id: 'op-secret', operation_type: 'index', total_files: 3 })
    await server.publish('SECRET', { type: 'index_complete', project_id: 'SECRET', entity_count: 7 })

    const client = connect('/ws/projects/SECRET', { token: 'tok-alice' })
    expect(await client.untilClosed()).toEqual({ code: 4403, reason: 'forbidden' })
    expect(client.events()).toEqual([])
    expect((await fetch(`${url}/api/projects/SECRET/index`, bearer('tok-alice'))).status).toBe(403)
    expect((await fetch(`${url}/api/operations/op-secret`, bearer('tok-alice'))).status).toBe(403)
    const reindex = await fetch(`${url}/api/projects/SECRET/index/reindex`, { method: 'POST', ...bearer('tok-alice') })
    expect([reindex.status, await reindex.json()]).toEqual([403, { detail: 'forbidden' }])
    // Refused, not merely unauthenticated: a bad token is still 4401 / 401.
    expect((await connect('/ws/projects/SECRET', { token: 'nope' }).untilClosed()).code).toBe(4401)
    expect((await fetch(`${url}/api/projects/SECRET/index`, bearer('nope'))).status).toBe(401)
    expect(server.metrics().drops.forbidden).toBe(1)

    expect(modeLines(lines)).toEqual([{ level: 'warn', fields: { authorization: 'none' }, message: expect.stringContaining("authorize: 'any-authenticated-user'") }])
    expect(modeLines(lines)[0]!.message).toContain('every project join is refused')
  })

  test('with the older `log` option the warning still reaches it', async () => {
    const messages: string[] = []
    await startServer({ authorize: undefined, log: (message) => messages.push(message) })
    expect(messages.filter((m) => m.includes('no `authorize` option'))).toHaveLength(1)
  })
})

describe("`authorize: 'any-authenticated-user'`", () => {
  test('every authenticated user joins every project, and the start-up log says so once', async () => {
    const { lines, logger } = capture()
    const { server, url, connect } = await startServer({ authorize: ANY_AUTHENTICATED_USER, logger })
    await server.publish('SECRET', { type: 'index_complete', project_id: 'SECRET', entity_count: 7 })
    const client = connect('/ws/projects/SECRET', { token: 'tok-bob' })
    await client.until(() => client.events().length > 0)
    expect(client.events()[0]).toMatchObject({ type: 'index_status', project_id: 'SECRET' })
    expect((await fetch(`${url}/api/projects/SECRET/index`, bearer('tok-bob'))).status).toBe(200)
    // Open to every *authenticated* user only.
    expect((await connect('/ws/projects/SECRET', { token: 'nope' }).untilClosed()).code).toBe(4401)
    expect(modeLines(lines)).toEqual([{ level: 'info', fields: { authorization: 'any-authenticated-user' }, message: expect.stringContaining('any authenticated user may join any project') }])
  })

  test('a function is logged as per-project authorization, once', async () => {
    const { lines, logger } = capture()
    await startServer({ logger })
    expect(modeLines(lines)).toEqual([{ level: 'info', fields: { authorization: 'authorize' }, message: expect.stringContaining('per project') }])
  })

  test('any other value is a TypeError at creation, not open access', () => {
    for (const value of [true, 'any', 'any-authenticated-users', null])
      expect(() => createLiveStatusServer({ authenticate: () => null, authorize: value } as unknown as LiveStatusServerOptions<TestUser>)).toThrow(/authorize/)
  })

  test('the environment opts in with LIVE_STATUS_AUTHORIZE=any-authenticated-user, and nothing else', () => {
    expect(configFromEnv({ LIVE_STATUS_AUTHORIZE: 'any-authenticated-user' }).options).toEqual({ authorize: 'any-authenticated-user' })
    expect(configFromEnv({}).options.authorize).toBeUndefined()
    for (const value of ['true', '1', 'all', '*']) expect(() => configFromEnv({ LIVE_STATUS_AUTHORIZE: value })).toThrow('LIVE_STATUS_AUTHORIZE')
  })
})
