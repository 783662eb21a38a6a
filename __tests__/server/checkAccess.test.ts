// Admission and the `recheckAccessMs` check ask the same question (`checkAccess`): whatever
// `authenticate` and `authorize` answer, a socket refused at admission and one refused on a later
// check end with the same code and reason, count the same drop and log the same line (the recheck's
// marked as one), with the token masked. They were two copies of the chain, one of which logged
// "authenticate or authorize threw" without saying which.
import { afterEach, expect, test } from 'vitest'
import { capture } from './support/captureLog'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(disposeAll)

const SECRET = 'tok-alice-9f8e7d6c5b4a39281706'

type Answer = 'allowed' | 'no user' | 'forbidden' | 'authenticate throws' | 'authorize throws'

const cases: [Answer, { code: number; reason: string }, string, string | undefined][] = [
  ['no user', { code: 4401, reason: 'invalid token' }, 'unauthenticated', undefined],
  ['forbidden', { code: 4403, reason: 'forbidden' }, 'forbidden', undefined],
  ['authenticate throws', { code: 1011, reason: 'internal error' }, 'internal_error', 'authenticate threw'],
  ['authorize throws', { code: 1011, reason: 'internal error' }, 'internal_error', 'authorize threw'],
]

async function serverAnswering(answer: () => Answer) {
  const log = capture()
  const started = await startServer<{ id: string }>({
    logger: log.logger,
    recheckAccessMs: 30,
    authenticate: (token) => {
      if (answer() === 'authenticate throws') throw new Error(`session store down for ${token}`)
      return answer() === 'no user' ? null : { id: 'alice' }
    },
    authorize: () => {
      if (answer() === 'authorize throws') throw new Error(`policy store down (${SECRET})`)
      return answer() !== 'forbidden'
    },
  })
  return { ...started, errors: () => log.lines.filter((line) => line.level === 'error'), lines: log.lines }
}

test.each(cases)('%s: admission and a later check close alike', async (refusal, close, drop, logged) => {
  // At admission.
  let answer: Answer = refusal
  const admission = await serverAnswering(() => answer)
  expect(await admission.connect('/ws/projects/p1', { token: SECRET }).untilClosed()).toEqual(close)
  expect(admission.server.metrics().drops).toMatchObject({ [drop]: 1 })
  expect(admission.errors().map((line) => line.message)).toEqual(logged ? [logged] : [])

  // On a recheck, after an admission that was allowed.
  answer = 'allowed'
  const recheck = await serverAnswering(() => answer)
  const socket = recheck.connect('/ws/projects/p1', { token: SECRET })
  await socket.opened()
  // Admitted (the socket opens before admission ends): it receives the project's events.
  await recheck.server.publish('p1', { type: 'index_started', project_id: 'p1' })
  await socket.until(() => socket.events().some((event) => event.type === 'index_started'))
  answer = refusal
  expect(await socket.untilClosed()).toEqual(close)
  expect(recheck.server.metrics().drops).toMatchObject({ [drop]: 1 })
  expect(recheck.errors().map((line) => line.message)).toEqual(logged ? [`${logged} on a recheck`] : [])
  expect(recheck.errors().map((line) => line.fields)).toEqual(admission.errors().map((line) => line.fields))

  for (const { lines } of [admission, recheck]) expect(JSON.stringify(lines)).not.toContain(SECRET)
})
