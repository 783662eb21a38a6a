// Generated schedules of tabs opening, closing, crashing and reloading while a real `ws` server
// streams frames: after every schedule, one server connection serves every tab that wants the
// socket, and no tab's socket ever saw a frame twice, out of order, or with a gap.
import fc from 'fast-check'
import { expect, test } from 'vitest'
import type { WebSocketLike } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab/crossTab'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, type TestServer } from '../helpers/wsServer'

const SEED = Number(process.env.MODEL_SEED ?? 20261201)
const RUNS = Number(process.env.MODEL_RUNS ?? 60)
const TABS = 4

let server: TestServer

type Action = { kind: 'open' | 'close' | 'crash'; tab: number } | { kind: 'frames'; count: number } | { kind: 'settle' }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), tab: fc.nat(TABS - 1) }),
  fc.record({ kind: fc.constant('close' as const), tab: fc.nat(TABS - 1) }),
  fc.record({ kind: fc.constant('crash' as const), tab: fc.nat(TABS - 1) }),
  fc.record({ kind: fc.constant('frames' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.constant({ kind: 'settle' as const }),
)

interface Watched {
  socket: WebSocketLike
  open: boolean
  closedByServer: boolean
  frames: number[]
}

let run = 0

async function until(predicate: () => boolean, what: () => string): Promise<void> {
  // BroadcastChannel and sockets deliver on macrotasks: re-check after each turn of the loop,
  // bounded so a broken invariant fails with a message instead of a timeout. Bounded by the clock,
  // not by turns: some waits are timers (`stillWantedCheckMs`) and a server's close, and 20,000
  // turns ran out before them on a fast machine (the schedule of run 27 failed every time there).
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (predicate()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  if (predicate()) return
  throw new Error(`never settled: ${what()}`)
}

test('cross-tab: one connection for the tabs that want it; each tab sees frames once, in order, without gaps', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
      const key = `model-${++run}`
      // A server per schedule: a socket aborted mid-handshake in one cannot be counted in the next.
      server = await startWsServer()
      const locks = new FakeLocks()
      let generation = 0
      const makeTab = (index: number) => {
        const tab = fakeTab(locks, `t${index}.${++generation}`)
        const crossTab = createCrossTab({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => text, tabId: tab.tab, stillWantedCheckMs: 20 }) as CrossTab
        return { ...tab, crossTab, wants: false, current: null as Watched | null, history: [] as Watched[] }
      }
      const tabs = Array.from({ length: TABS }, (_, index) => makeTab(index))
      let nextFrame = 0
      const open = (index: number) => {
        const tab = tabs[index]!
        const socket = tab.crossTab.open({ url: `${server.url}/ws`, protocols: undefined, firstMessage: undefined, identity: 'one' }, tab.WebSocket)
        const watched: Watched = { socket, open: false, closedByServer: false, frames: [] }
        socket.onopen = () => (watched.open = true)
        // A frame, or a list of frames that arrived together (a relayed batch).
        socket.onmessage = (event) => watched.frames.push(...[event.data].flat().map(Number))
        socket.onclose = () => {
          watched.open = false
          if (tab.current === watched) {
            watched.closedByServer = true
            tab.current = null
          }
        }
        tab.current = watched
        tab.history.push(watched)
      }
      const settle = async () => {
        // Like a connection: a tab that wants the socket and lost it opens a new one.
        await until(
          () => {
            for (let index = 0; index < TABS; index++) if (tabs[index]!.wants && !tabs[index]!.current) open(index)
            const wanting = tabs.filter((tab) => tab.wants)
            // Stable: a live tab leads (a crashed leader's lock has passed on and its socket is gone).
            const leaders = tabs.filter((tab) => tab.crossTab.roles().some((role) => role.leading))
            const leaderSettled = wanting.length === 0 || (leaders.length === 1 && locks.holder(leaders[0]!.crossTab.roles()[0]!.group) === leaders[0]!.tab)
            return leaderSettled && wanting.every((tab) => tab.current?.open) && server.sockets.size === (wanting.length > 0 ? 1 : 0)
          },
          () => `server sockets ${server.sockets.size}, tabs ${tabs.map((tab) => `${tab.wants ? 'wants' : '-'}/${tab.current?.open ? 'open' : 'not open'}`).join(', ')}`,
        )
      }
      try {
        for (const step of actions) {
          if (step.kind === 'open') {
            const tab = tabs[step.tab]!
            tab.wants = true
            if (!tab.current) open(step.tab)
          } else if (step.kind === 'close') {
            const tab = tabs[step.tab]!
            tab.wants = false
            const current = tab.current
            tab.current = null
            current?.socket.close(1000)
          } else if (step.kind === 'crash') {
            tabs[step.tab]!.crash()
            tabs[step.tab] = makeTab(step.tab)
          } else if (step.kind === 'frames') {
            for (let i = 0; i < step.count; i++) server.broadcast(String(nextFrame++))
          } else {
            await settle()
          }
        }
        await settle()
        // One more frame reaches every tab that wants the socket.
        const last = nextFrame++
        server.broadcast(String(last))
        await until(
          () => tabs.every((tab) => !tab.wants || tab.current?.frames.includes(last)),
          () => `the last frame did not reach every tab: ${tabs.map((t) => t.tab + ':' + t.wants + ':' + JSON.stringify(t.current?.frames) + JSON.stringify(t.crossTab.roles())).join(' | ')} server ${server.sockets.size}`,
        )
        for (const tab of tabs) {
          for (const watched of tab.history) {
            const frames = watched.frames
            for (let i = 1; i < frames.length; i++) expect(frames[i], `tab ${tab.tab}: ${frames.join(',')}`).toBe(frames[i - 1]! + 1)
          }
        }
      } finally {
        for (const tab of tabs) {
          tab.wants = false
          tab.current?.socket.close(1000)
        }
        await until(() => server.sockets.size === 0, () => `${server.sockets.size} server sockets left; roles ${JSON.stringify(tabs.map((tab) => tab.crossTab.roles()))}`)
        await server.kill()
      }
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  )
}, 120_000)
