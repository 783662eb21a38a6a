// @vitest-environment happy-dom
/**
 * Generated schedules (fast-check, seeded, shrinking) of a page whose operation view changes its
 * `operationId` / `projectId` while the server streams events on real project sockets (a `ws`
 * server on a loopback port) and REST answers come back slow and out of order, as other components
 * on the same project sockets mount and unmount, and the server drops sockets. The client's clock
 * is virtual (`time` steps: backoff, idle close, flushes); sockets and React are real; a param
 * change is rendered inside act() or left to React's scheduler. After the schedule the server
 * stops; once everything settles each mounted hook must show its current operation as the server
 * knows it (REST's answer merged with the events the server sent), each project someone shows has
 * exactly one socket (the server counts them) and a project nobody shows none once `idleCloseMs`
 * has passed. Along the way no socket is made while another for the same project is CONNECTING or
 * OPEN, and no cached operation goes backwards.
 * `MODEL_SEED` / `MODEL_RUNS` to explore more.
 */

import fc from 'fast-check'
import { useLayoutEffect, useState } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { useIndexStatus, useLiveStatusClient, useOperationProgress, type IndexStatus, type LiveStatusClient, type OperationProgress } from '../../src'
import { checkProperty, watchBackwards, countingWebSocket, delivered, elapse, RUNS, settle, settleNow, slowRest, startLiveServer, until, useRaceWorld, dropSockets, endSchedule, showState, socketsOpened } from '../helpers/raceWorld'
import { setupLive, TOKEN } from '../helpers/renderWithLive'

const IDLE_CLOSE_MS = 1000
const RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000, maxAttempts: 1000 }
const TOTAL = 6
const PROJECTS = ['p1', 'p2', 'p3'] as const
type Project = (typeof PROJECTS)[number]
const OPERATIONS = { a1: 'p1', a2: 'p1', b1: 'p2', b2: 'p2', c1: 'p3' } as const satisfies Record<string, Project>
type Op = keyof typeof OPERATIONS
const OPS = Object.keys(OPERATIONS) as Op[]

/** The other components: fixed params, mounted and unmounted by the schedule. */
const EXTRAS = [
  { kind: 'operation', operationId: 'a1', projectId: 'p1' },
  { kind: 'operation', operationId: 'b2', projectId: 'p2' },
  { kind: 'index', projectId: 'p1' },
  { kind: 'operation', operationId: 'c1', projectId: 'p3' },
] as const

export type Step =
  | { kind: 'setMain'; op: Op | null; sync: boolean }
  | { kind: 'toggleExtra'; index: number; sync: boolean }
  | { kind: 'progress'; op: Op; deliver: boolean }
  | { kind: 'complete'; op: Op; deliver: boolean }
  | { kind: 'answer'; index: number }
  | { kind: 'drop'; project: Project }
  | { kind: 'time'; ms: number }
  | { kind: 'connect' }
  | { kind: 'bounce'; op: Op | null; ms: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  // `sync`: rendered inside act() at once; else a state update React renders when it gets to it.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('setMain' as const), op: fc.option(fc.constantFrom(...OPS), { nil: null, freq: 6 }), sync: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('toggleExtra' as const), index: fc.nat(EXTRAS.length - 1), sync: fc.boolean() }) },
  // `deliver`: wait until the event has reached the client's socket; else it is still on the wire.
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('progress' as const), op: fc.constantFrom(...OPS), deliver: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('complete' as const), op: fc.constantFrom(...OPS), deliver: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), index: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), project: fc.constantFrom(...PROJECTS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(16, 100, 300, 900, 2500) }) },
  // Until every socket the client is opening has opened (and been admitted) or failed.
  { weight: 2, arbitrary: fc.constant({ kind: 'connect' as const }) },
  // A route change and back: the main view shows `op` for `ms`, then what it showed before.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bounce' as const), op: fc.option(fc.constantFrom(...OPS), { nil: null, freq: 4 }), ms: fc.constantFrom(16, 300, 900) }) },
)

interface View {
  name: string
  operationId?: string | null
  projectId: string | undefined
  data: OperationProgress | IndexStatus | undefined
}

function OperationView({ name, operationId, projectId, views }: { name: string; operationId: string | null; projectId: string | undefined; views: Map<string, View> }) {
  const { data } = useOperationProgress({ operationId, projectId })
  useLayoutEffect(() => {
    views.set(name, { name, operationId, projectId, data })
    return () => void views.delete(name)
  })
  return <span data-testid={name}>{data ? `${data.operationId} ${data.status} ${data.processedFiles}` : ''}</span>
}

function IndexView({ name, projectId, views }: { name: string; projectId: string; views: Map<string, View> }) {
  const { data } = useIndexStatus({ projectId })
  useLayoutEffect(() => {
    views.set(name, { name, projectId, data })
    return () => void views.delete(name)
  })
  return <span data-testid={name}>{data?.state ?? ''}</span>
}

interface Shown {
  main: Op | null
  extras: boolean[]
}

function Page({ controls, views }: { controls: { set?: (shown: Shown) => void; client?: LiveStatusClient }; views: Map<string, View> }) {
  const [{ main, extras }, set] = useState<Shown>({ main: null, extras: EXTRAS.map(() => false) })
  controls.set = set
  controls.client = useLiveStatusClient()
  return (
    <>
      <OperationView name="main" operationId={main} projectId={main ? OPERATIONS[main] : undefined} views={views} />
      {EXTRAS.map((extra, i) =>
        !extras[i] ? null : extra.kind === 'index' ? (
          <IndexView key={i} name={`extra${i}`} projectId={extra.projectId} views={views} />
        ) : (
          <OperationView key={i} name={`extra${i}`} operationId={extra.operationId} projectId={extra.projectId} views={views} />
        ),
      )}
    </>
  )
}

const socketPath = (project: string) => `/ws/projects/${project}`
const INDEXED_AT = '2026-12-01T10:00:00.000Z'

const servers = useRaceWorld()

export async function runSchedule(steps: Step[], { idleCloseMs = IDLE_CLOSE_MS } = {}): Promise<void> {
  const truth = Object.fromEntries(OPS.map((op) => [op, { status: 'processing', processed: 0 }])) as Record<Op, { status: 'processing' | 'completed'; processed: number }>
  const operationEvent = (op: Op) => ({ operation_id: op, processed_files: truth[op].processed, total_files: TOTAL })
  const server = await startLiveServer({
    accepts: (token) => token === TOKEN,
    // The reference server's snapshot: each of the project's operations, then its index.
    snapshot: (path) => [
      ...OPS.filter((op) => socketPath(OPERATIONS[op]) === path).map((op) => ({ type: 'current_state', status: truth[op].status, ...operationEvent(op) })),
      { type: 'index_status', project_id: path.split('/').pop(), status: 'ready', entity_count: 1 },
    ],
  })
  servers.push(server)
  const rest = slowRest((call) => {
    if (call.authorization !== `Bearer ${TOKEN}`) return { status: 401 }
    const operation = /^\/api\/operations\/(\w+)$/.exec(call.path)?.[1] as Op | undefined
    if (operation && truth[operation]) return { status: 200, body: { id: operation, status: truth[operation].status, ...operationEvent(operation) } }
    const project = /^\/api\/projects\/(\w+)\/index$/.exec(call.path)?.[1]
    if (project) return { status: 200, body: { project_id: project, status: 'ready', entity_count: 1, indexed_at: INDEXED_AT } }
    return { status: 404 }
  })
  const sockets = countingWebSocket()
  const { queryClient, renderLive } = setupLive({
    apiUrl: server.apiUrl,
    WebSocket: sockets.WebSocket,
    idleCloseMs,
    heartbeat: false,
    reconnect: RECONNECT,
  })
  vi.stubGlobal('fetch', rest.fetch)
  const backwards = watchBackwards(queryClient)

  const views = new Map<string, View>()
  let main: Op | null = null
  const extras = EXTRAS.map(() => false)
  const controls: { set?: (shown: Shown) => void; client?: LiveStatusClient } = {}
  const view = renderLive(<Page controls={controls} views={views} />)
  const show = (sync: boolean) => {
    const next = { main, extras: [...extras] }
    showState(controls.set!, next, sync)
  }

  try {
    await settleNow()
    for (const step of steps) {
      switch (step.kind) {
        case 'setMain':
          main = step.op
          show(step.sync)
          break
        case 'toggleExtra':
          extras[step.index] = !extras[step.index]
          show(step.sync)
          break
        case 'progress':
        case 'complete': {
          const op = truth[step.op]
          if (op.status === 'completed') break
          if (step.kind === 'complete') {
            op.status = 'completed'
            server.publish(socketPath(OPERATIONS[step.op]), { type: 'operation_completed', status: 'completed', ...operationEvent(step.op) })
          } else if (op.processed < TOTAL) {
            op.processed++
            server.publish(socketPath(OPERATIONS[step.op]), { type: 'file_completed', ...operationEvent(step.op) })
          }
          if (step.deliver) await until(() => delivered(server, sockets.created), 'the events to reach the client')
          break
        }
        case 'answer':
          rest.answer(step.index)
          break
        case 'drop':
          await dropSockets(server, sockets.created, socketPath(step.project))
          break
        case 'time':
          await elapse(step.ms)
          break
        case 'connect':
          await socketsOpened(server, sockets.created)
          break
        case 'bounce': {
          const before: Op | null = main
          main = step.op
          show(true)
          await elapse(step.ms)
          main = before
          show(true)
          break
        }
      }
      await settleNow()
    }

    // Settle: the server says nothing more; every answer goes out as soon as it is asked; idle
    // sockets close, lost ones come back.
    rest.auto = true
    await elapse(idleCloseMs + RECONNECT.maxDelayMs + 100)
    const problems = (): string[] => {
      const found: string[] = []
      const rendered = [...views.keys()].sort().join(',')
      const intended = ['main', ...EXTRAS.map((_, i) => (extras[i] ? `extra${i}` : '')).filter(Boolean)].sort().join(',')
      if (rendered !== intended || views.get('main')?.operationId !== main) found.push(`React has not rendered the last state yet: ${rendered} main=${views.get('main')?.operationId}`)
      for (const v of views.values()) {
        if (v.operationId === undefined) {
          const data = v.data as IndexStatus | undefined
          if (data?.state !== 'complete') found.push(`${v.name} (index of ${v.projectId}) shows ${data?.state}, the server says complete`)
          continue
        }
        const data = v.data as OperationProgress | undefined
        if (v.operationId === null) {
          if (data !== undefined) found.push(`${v.name} shows ${data.operationId} with no operationId`)
          continue
        }
        const t = truth[v.operationId as Op]
        if (!data || data.operationId !== v.operationId || data.status !== t.status || data.processedFiles !== t.processed) {
          found.push(`${v.name} (${v.operationId}@${v.projectId}) shows ${data ? `${data.operationId} ${data.status} ${data.processedFiles}/${data.totalFiles}` : 'nothing'}, the server says ${t.status} ${t.processed}/${TOTAL}`)
        }
      }
      const wanted = new Set<string>()
      if (main) wanted.add(OPERATIONS[main])
      EXTRAS.forEach((extra, i) => extras[i] && wanted.add(extra.projectId))
      for (const project of PROJECTS) {
        const open = server.openAt(socketPath(project), true)
        const status = controls.client!.socketStatus(controls.client!.socketUrl(socketPath(project)))
        const client = `(client: ${status ? `${status.state}, attempt ${status.attempt}` : 'no connection'})`
        if (wanted.has(project) && (open.length !== 1 || !open[0]!.authed)) found.push(`${project} is shown and has ${open.length} open socket(s) on the server ${client}`)
        if (!wanted.has(project) && open.length > 0) found.push(`${project} is shown by nobody and still has ${open.length} open socket(s) on the server ${client}`)
      }
      if (rest.open().length > 0) found.push(`${rest.open().length} REST request(s) unanswered`)
      return found
    }
    await settle(problems, { timeoutMs: 1500 })
    expect(sockets.violations, 'a socket made while another for the same project was CONNECTING or OPEN').toBe(0)
    expect(backwards, 'a cached operation went backwards').toEqual([])
    for (const peer of server.peers) expect(peer.unauthenticatedMessages, 'a socket spoke before its auth message').toEqual([])
  } finally {
    await endSchedule(view, queryClient, server)
  }
}


/** The seed that found the stuck reconnect. */
const FOUND_SEED = 1

const schedules = fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'medium' })

describe('param churn on shared project sockets (generated schedules, real ws server)', () => {
  // Found a defect (fixed in src/transport/connection.ts `addSubscriber`): a socket lost while
  // shown starts its backoff; the last view left before the retry fired, the retry found no
  // subscriber, and a view back within `idleCloseMs` was added to a connection left `reconnecting`
  // with no timer and no socket: it never reconnected. Seed 1 found it at its 8th schedule, shrunk
  // to: setMain a1, progress a1, drop p1, bounce(null, 300 ms), progress a1.
  test(`each hook shows its current operation's truth; one socket per shown project, none for the others (seed ${FOUND_SEED}, 60 schedules)`, async () => {
    await checkProperty('param churn', schedules, (steps) => runSchedule(steps), { runs: 60, seed: FOUND_SEED })
  }, 240_000)

  // The same schedules where a view that leaves closes its project's socket at once
  // (`idleCloseMs: 0`): the stuck reconnect above cannot happen, everything else is checked.
  test(`the same with idleCloseMs 0: truth, one socket per shown project, none for the others (${RUNS(60)} schedules)`, async () => {
    await checkProperty('param churn (idleCloseMs 0)', schedules, (steps) => runSchedule(steps, { idleCloseMs: 0 }), { runs: RUNS(60) })
  }, 240_000)

  // The defect above, pinned: shown, dropped, left for 300 ms (the 200 ms retry fires with no
  // subscriber), shown again within the 1 s grace: the project's socket must come back.
  test('a socket dropped while shown, left during its backoff and shown again within idleCloseMs reconnects', async () => {
    await runSchedule([
      { kind: 'setMain', op: 'b1', sync: true },
      { kind: 'connect' },
      { kind: 'drop', project: 'p2' },
      { kind: 'bounce', op: null, ms: 300 },
    ])
  }, 30_000)
})
