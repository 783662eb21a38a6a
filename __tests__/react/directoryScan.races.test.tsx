// @vitest-environment happy-dom
/**
 * Generated schedules (fast-check, seeded, shrinking) of `useDirectoryScan` churning: scans started
 * one after another (inside act() or left to React), cancelled, finished by the server, their
 * sockets dropped, the component unmounted and mounted again, while a real `ws` server streams each
 * scan's events on its own socket — the previous scans' too, for as long as their sockets stay open
 * — and now and then an event naming another scan. The client's clock is virtual; sockets and
 * React are real. Invariants:
 * - the view only ever shows the current scan (no previous scan's or foreign event on screen);
 * - once settled, it shows what the events the client received for the current scan say (or
 *   `cancelled` after `cancel()`);
 * - a scan's socket asks for its scan once per socket (a repeated `scan` action restarts a scan on
 *   the server), a cancel made while the socket was open reaches the server, and once settled the
 *   server holds a socket open only for the current scan while it runs.
 * `MODEL_SEED` / `MODEL_RUNS` to explore more.
 */
import { act } from '@testing-library/react'
import fc from 'fast-check'
import { useLayoutEffect, useState } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { useDirectoryScan, type DirectoryScan } from '../../src'
import { checkProperty, countingWebSocket, delivered, elapse, RUNS, settle, settleNow, startLiveServer, until, type Peer, useRaceWorld, dropSockets, endSchedule, socketsOpened } from '../helpers/raceWorld'
import { setupLive, TOKEN } from '../helpers/renderWithLive'

const IDLE_CLOSE_MS = 1000
const TOTAL = 10

export type Step =
  | { kind: 'start'; sync: boolean; ready: boolean }
  | { kind: 'cancel'; sync: boolean }
  | { kind: 'progress'; which: 'current' | 'previous'; withId: boolean; deliver: boolean }
  | { kind: 'finish'; which: 'current' | 'previous'; how: 'completed' | 'error'; deliver: boolean }
  | { kind: 'foreign'; deliver: boolean }
  | { kind: 'drop' }
  | { kind: 'remount' }
  | { kind: 'time'; ms: number }
  | { kind: 'connect' }

const which = fc.constantFrom<'current' | 'previous'>('current', 'current', 'previous')
const stepArb: fc.Arbitrary<Step> = fc.oneof(
    // `ready`: until the server has the scan request (its socket open, the scan asked for).
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), sync: fc.boolean(), ready: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sync: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('progress' as const), which, withId: fc.boolean(), deliver: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('finish' as const), which, how: fc.constantFrom<'completed' | 'error'>('completed', 'error'), deliver: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('foreign' as const), deliver: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'remount' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(16, 300, 1200) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'connect' as const }) },
)

const scanPath = (id: string) => `/ws/scan/${id}`
/** Each scan's files live under a folder named after it: what is on screen says which scan it came from. */
const folder = (id: string) => `/${id.slice(-4)}`

interface Controls {
  start?: (request: { path: string }) => void
  cancel?: () => void
}
interface Seen {
  scanId: string | null
  data: DirectoryScan
}

function Scan({ controls, seen, mixedUp }: { controls: Controls; seen: { current?: Seen }; mixedUp: string[] }) {
  const { start, cancel, data, scanId } = useDirectoryScan()
  controls.start = start
  controls.cancel = cancel
  useLayoutEffect(() => {
    // What another scan sent, on screen as this one's.
    if (data.currentPath !== undefined && (scanId === null || !data.currentPath.startsWith(`${folder(scanId)}/`))) mixedUp.push(`scan ${scanId} shows ${data.currentPath}`)
    if (scanId === null && data.state !== 'idle') mixedUp.push(`no scan, and the view says ${data.state}`)
    seen.current = { scanId, data }
    return () => void (seen.current = undefined)
  })
  return <span data-testid="scan">{`${data.state} ${data.scanned}/${data.total}`}</span>
}

function Page({ controls, seen, mixedUp }: { controls: Controls & { remount?: () => void }; seen: { current?: Seen }; mixedUp: string[] }) {
  const [generation, setGeneration] = useState(0)
  controls.remount = () => setGeneration((g) => g + 1)
  return <Scan key={generation} controls={controls} seen={seen} mixedUp={mixedUp} />
}

/** What the client should show for its current scan, from the events it received for it. */
interface Model {
  id: string | null
  state: DirectoryScan['state']
  scanned: number
  path: string | undefined
  count: number
  /** A cancel came after the end had arrived and before it was on screen: either may show. */
  orCancelled: boolean
}

const servers = useRaceWorld()

export async function runSchedule(steps: Step[]): Promise<void> {
  let ids = 0
  vi.spyOn(globalThis.crypto, 'randomUUID').mockImplementation(() => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}` as `${string}-${string}-${string}-${string}-${string}`)
  /** The server's scans: how far each has got, and whether it ended. */
  const scans = new Map<string, { scanned: number; ended: boolean }>()
  const scanOf = (peer: Peer) => peer.path.slice('/ws/scan/'.length)
  const server = await startLiveServer({
    accepts: (token) => token === TOKEN,
    onMessage: (peer, message) => {
      if (message?.action === 'scan') {
        const id = scanOf(peer)
        if (!scans.has(id)) scans.set(id, { scanned: 0, ended: false })
      }
    },
  })
  servers.push(server)
  /** Sockets that asked for their scan: the ones the server streams it to. */
  const streaming = (id: string) => server.openAt(scanPath(id)).filter((p) => p.messages.some((m) => m?.action === 'scan'))
  const model: Model = { id: null, state: 'idle', scanned: 0, path: undefined, count: 0, orCancelled: false }
  const sockets = countingWebSocket(undefined, (socket, text) => {
    const id = new URL(socket.url).pathname.slice('/ws/scan/'.length)
    if (id !== model.id || model.state !== 'scanning') return
    const event = JSON.parse(text) as { type: string; scan_id?: string; scanned?: number; current_path?: string; count?: number }
    if (event.scan_id !== undefined && event.scan_id !== id) return
    if (event.type === 'progress') {
      model.scanned = Math.max(model.scanned, event.scanned ?? 0)
      model.path = event.current_path ?? model.path
    } else if (event.type === 'completed') {
      model.state = 'completed'
      model.count = event.count ?? 0
    } else if (event.type === 'error') model.state = 'failed'
  })
  const { queryClient, renderLive } = setupLive({
    apiUrl: server.apiUrl,
    WebSocket: sockets.WebSocket,
    idleCloseMs: IDLE_CLOSE_MS,
    heartbeat: false,
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000, maxAttempts: 1000 },
  })
  const controls: Controls & { remount?: () => void } = {}
  const seen: { current?: Seen } = {}
  const mixedUp: string[] = []
  /** Cancels made while the current scan's socket was open, by server socket. */
  const cancelsDue: Peer[] = []
  const started: string[] = []
  const view = renderLive(<Page controls={controls} seen={seen} mixedUp={mixedUp} />)
  const call = (sync: boolean, fn: () => void) => (sync ? act(fn) : fn())
  const target = (which: 'current' | 'previous') => (which === 'current' ? model.id : (started.at(-2) ?? null))

  try {
    await settleNow()
    for (const step of steps) {
      switch (step.kind) {
        case 'start': {
          call(step.sync, () => controls.start!({ path: '/documents' }))
          const id = `00000000-0000-4000-8000-${String(ids).padStart(12, '0')}`
          started.push(id)
          Object.assign(model, { id, state: 'scanning', scanned: 0, path: undefined, count: 0, orCancelled: false })
          if (step.ready) await until(() => streaming(id).length > 0, 'the server to have the scan request')
          break
        }
        case 'cancel': {
          if (model.id && model.state === 'scanning') {
            const open = sockets.created.find((s) => s.readyState === 1 && new URL(s.url).pathname === scanPath(model.id!))
            const peer = open && server.peers.find((p) => p.remotePort === open.localPort && p.authed && !p.closed)
            if (peer) cancelsDue.push(peer)
            model.state = 'cancelled'
          } else if (model.id && seen.current?.data.state === 'scanning') {
            // The end arrived but is not written yet (once per frame): the cancel may come first.
            model.orCancelled = true
          }
          call(step.sync, () => controls.cancel!())
          break
        }
        case 'progress':
        case 'finish': {
          const id = target(step.which)
          const scan = id ? scans.get(id) : undefined
          if (!id || !scan || scan.ended) break
          if (step.kind === 'progress') {
            if (scan.scanned >= TOTAL) break
            scan.scanned++
            for (const peer of streaming(id)) server.send(peer, { type: 'progress', scanned: scan.scanned, total: TOTAL, current_path: `${folder(id)}/f${scan.scanned}`, ...(step.withId ? { scan_id: id } : {}) })
          } else {
            scan.ended = true
            const event = step.how === 'completed' ? { type: 'completed', count: scan.scanned, total_size: 100 * scan.scanned, files: [] } : { type: 'error', message: 'disk gone' }
            for (const peer of streaming(id)) server.send(peer, event)
          }
          if (step.deliver) await until(() => delivered(server, sockets.created), 'the events to reach the client')
          break
        }
        case 'foreign':
          // A server that fans another scan's event out to this socket: its id says it is not ours.
          if (model.id) for (const peer of streaming(model.id)) server.send(peer, { type: 'progress', scan_id: 'another-scan', scanned: 9, total: TOTAL, current_path: '/elsewhere/x' })
          if (step.deliver) await until(() => delivered(server, sockets.created), 'the events to reach the client')
          break
        case 'drop': {
          if (!model.id) break
          await dropSockets(server, sockets.created, scanPath(model.id))
          break
        }
        case 'remount':
          act(() => controls.remount!())
          Object.assign(model, { id: null, state: 'idle', scanned: 0, path: undefined, count: 0, orCancelled: false })
          break
        case 'time':
          await elapse(step.ms)
          break
        case 'connect':
          await socketsOpened(server, sockets.created)
          break
      }
      await settleNow()
    }

    await elapse(IDLE_CLOSE_MS + 1100)
    const problems = (): string[] => {
      const found: string[] = [...mixedUp]
      const shown = seen.current
      if (!shown || shown.scanId !== model.id) return [...found, `React has not rendered scan ${model.id} yet (it shows ${shown?.scanId})`]
      const { data } = shown
      const expected = `${model.state}${model.state === 'scanning' ? ` ${model.scanned} ${model.path}` : model.state === 'completed' ? ` ${model.count}` : ''}`
      const actual = `${data.state}${data.state === 'scanning' ? ` ${data.scanned} ${data.currentPath}` : data.state === 'completed' ? ` ${data.count}` : ''}`
      if (expected !== actual && !(model.orCancelled && data.state === 'cancelled')) found.push(`scan ${model.id} shows "${actual}", its events say "${expected}"`)
      for (const id of started) {
        const open = server.openAt(scanPath(id), true)
        if (id === model.id && model.state === 'scanning') {
          if (open.length !== 1) found.push(`the running scan ${id} has ${open.length} open socket(s) on the server`)
          else if (open[0]!.messages.filter((m) => m?.action === 'scan').length !== 1) found.push(`the running scan ${id}'s socket asked for it ${open[0]!.messages.filter((m) => m?.action === 'scan').length} times`)
        } else if (open.length > 0) found.push(`scan ${id} (${id === model.id ? model.state : 'not the current one'}) still has ${open.length} open socket(s) on the server`)
      }
      for (const peer of server.peers) {
        const asks = peer.messages.filter((m) => m?.action === 'scan').length
        if (asks > 1) found.push(`a socket of scan ${scanOf(peer)} asked for it ${asks} times`)
      }
      for (const peer of cancelsDue) if (!peer.messages.some((m) => m?.action === 'cancel')) found.push(`the cancel of scan ${scanOf(peer)}, made while its socket was open, never reached the server`)
      return found
    }
    await settle(problems, { timeoutMs: 1500 })
    expect(sockets.violations, 'a second socket for a scan while one was CONNECTING or OPEN').toBe(0)
  } finally {
    await endSchedule(view, queryClient, server)
  }
}

describe('useDirectoryScan churn (generated schedules, real ws server)', () => {
  test(`the view follows the current scan only; one scan request per socket; no socket left behind (${RUNS(60)} schedules)`, async () => {
    await checkProperty('directory scan', fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'medium' }), runSchedule, { runs: RUNS(60) })
  }, 240_000)
})
