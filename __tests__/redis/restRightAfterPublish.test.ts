// Found by the cluster demo (`npm run demo:cluster`): an instance that already follows a project
// answers 404 for an operation published on another instance a moment ago, until its blocking
// reader has delivered that event. The client treats 404 as definitive (the row stops listening).
// By hand, 20 of 200 `GET`s on B right after a `POST` on A answered 404.
//
// Made deterministic here: B's reader receives the entry from Redis but holds it back, as a slow
// network would. It failed by the 404 before the fix: `GET` on B now reads the stream beyond what
// B has folded when its state lacks the operation (ProjectChannel.catchUp).
import { describe, expect, test } from 'vitest'
import { RedisStreamsBus } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer } from '../server/support/serverHarness'
import { cleanups, interceptXread, redisFor, testRedis } from './support'

requireRedisInCi()

describe.skipIf(!haveRedis)('REST on B right after a publish on A', () => {
  test('B, already following the project, answers 200 for an operation A has just published', async () => {
    const redis = await testRedis()
    // B's reader gets each XREAD answer from Redis but holds it back while `held` is set.
    const gate = { held: false, waiting: [] as (() => void)[] }
    cleanups.push(() => gate.waiting.splice(0).forEach((release) => release()))
    const holdBack = async (send: () => Promise<unknown>) => {
      const reply = await send()
      if (reply !== null && gate.held) await new Promise<void>((release) => gate.waiting.push(release))
      return reply
    }
    const busA = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000 })
    const busB = new RedisStreamsBus({ redis: interceptXread(await redisFor(redis.url), holdBack), blockMs: 1000 })
    cleanups.push(() => busA.close())
    cleanups.push(() => busB.close())
    const a = await startServer({ bus: busA })
    const b = await startServer({ bus: busB })

    // B follows p1 (a client there) and has delivered an event of it.
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    const first = await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-1', operation_type: 'index', total_files: 4 })
    await client.until(() => client.events().some((event) => event.seq === first.seq))

    gate.held = true
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-9', operation_type: 'index', total_files: 4 })
    const response = await fetch(`${b.url}/api/operations/op-9`, { headers: { Authorization: 'Bearer tok-alice' }, signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(200)
  })
})
