// @vitest-environment happy-dom
/**
 * Generated schedules (fast-check, seeded, shrinking) of the access token changing under the hooks
 * while sockets connect: the provider's `accessToken` (or what its `getAccessToken` returns, sync or
 * async) rotates, turns into one the server refuses, goes to `null` (signed out) and comes back,
 * and the server revokes old tokens (closing their sockets 4401, echoing the token in the reason),
 * answers REST 401/500 with bodies that echo the token, and sends frames that quote each socket's
 * token (an unknown type, a malformed event). Tokens are realistic: `tok_` and 40 random
 * characters. A real `ws` server on a loopback port; the client's clock is virtual.
 * Invariants:
 * - no socket is opened without a token, and each socket authenticates with the token that was
 *   current when it was made (a socket opened after a rotation uses the new one);
 * - with `accessToken`, no REST call leaves without the current token (none while signed out);
 * - signed out: every indicator and hook says `signed-out` ("Waiting for sign-in") and the server
 *   holds no socket; a refused token: `unauthorized`; a good one: each shown project has one
 *   socket, authenticated with a token the server takes, and the hooks show the server's truth;
 * - no token (nor any 12 characters of one) ever appears in console output, in what
 *   `onCallbackError`, `onEventError` or `onAuthError` are given, in `<ConnectionStatus>`'s text or
 *   anywhere on the page; `onAuthError` is called at most once per refused token.
 * `MODEL_SEED` / `MODEL_RUNS` to explore more.
 */
import { act, screen } from '@testing-library/react'
import fc from 'fast-check'
import { useLayoutEffect, useState } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { ConnectionStatus, useIndexStatus, useLiveStatusClient, useOperationProgress, type IndexStatus, type LiveStatusClient, type OperationProgress } from '../../src'
import { captureConsole, checkProperty, countingWebSocket, delivered, elapse, RUNS, settle, settleNow, slowRest, startLiveServer, until, useRaceWorld, dropSockets, endSchedule, socketsOpened } from '../helpers/raceWorld'
import { setupLive } from '../helpers/renderWithLive'

const TOTAL = 6
const TOKENS = 6
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const tokenArb = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 40, maxLength: 40 }).map((s) => `tok_${s}`)
const PROJECTS = ['p1', 'p2'] as const
type Project = (typeof PROJECTS)[number]
const socketPath = (project: string) => `/ws/projects/${project}`
const INDEXED_AT = '2026-12-01T10:00:00.000Z'

type Mode = 'prop' | 'getter' | 'asyncGetter'
type Token = { kind: 'good'; index: number } | { kind: 'bad'; index: number } | { kind: 'none' }

export type Step =
  | { kind: 'token'; to: Token }
  | { kind: 'revoke' }
  | { kind: 'progress'; deliver: boolean }
  | { kind: 'echo'; deliver: boolean }
  | { kind: 'answer'; index: number; fail: boolean }
  | { kind: 'drop'; project: Project }
  | { kind: 'mount'; view: View }
  | { kind: 'time'; ms: number }
  | { kind: 'connect' }
  | { kind: 'refetch' }

const VIEWS = ['operation', 'index', 'status1', 'status2'] as const
type View = (typeof VIEWS)[number]

const tokenTo: fc.Arbitrary<Token> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('good' as const), index: fc.nat(TOKENS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bad' as const), index: fc.nat(TOKENS - 1) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
)
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('token' as const), to: tokenTo }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'revoke' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('progress' as const), deliver: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('echo' as const), deliver: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), index: fc.nat(3), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), project: fc.constantFrom(...PROJECTS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mount' as const), view: fc.constantFrom(...VIEWS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(5, 50, 600, 2000) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'connect' as const }) },
  // What a window focus does: every shown query is read again over REST.
  { weight: 1, arbitrary: fc.constant({ kind: 'refetch' as const }) },
)

interface Seen {
  operation?: { data?: OperationProgress; connection: string }
  index?: { data?: IndexStatus; connection: string }
}

function OperationView({ seen }: { seen: Seen }) {
  const { data, error, connection } = useOperationProgress({ operationId: 'a1', projectId: 'p1' })
  useLayoutEffect(() => {
    seen.operation = { data, connection: connection.state }
    return () => void delete seen.operation
  })
  return <p data-testid="operation">{`${data?.status ?? ''} ${data?.processedFiles ?? ''} ${connection.state} ${error?.message ?? ''}`}</p>
}

function IndexView({ seen }: { seen: Seen }) {
  const { data, error, connection } = useIndexStatus({ projectId: 'p2' })
  useLayoutEffect(() => {
    seen.index = { data, connection: connection.state }
    return () => void delete seen.index
  })
  return <p data-testid="index">{`${data?.state ?? ''} ${connection.state} ${error?.message ?? ''}`}</p>
}

function Page({ controls, seen }: { controls: { toggle?: (view: View) => void; client?: LiveStatusClient }; seen: Seen }) {
  controls.client = useLiveStatusClient()
  const [shown, setShown] = useState<Record<View, boolean>>({ operation: true, index: true, status1: true, status2: true })
  controls.toggle = (view) => setShown((s) => ({ ...s, [view]: !s[view] }))
  return (
    <>
      {shown.operation && <OperationView seen={seen} />}
      {shown.index && <IndexView seen={seen} />}
      {shown.status1 && <ConnectionStatus target={{ projectId: 'p1' }} className="p1" />}
      {shown.status2 && <ConnectionStatus target={{ projectId: 'p2' }} className="p2" />}
    </>
  )
}

/** Every way printing `value` could show a token: its own properties, nested, errors' message and stack. */
function printed(value: unknown, depth = 0): string {
  if (typeof value !== 'object' || value === null) return String(value)
  if (depth > 6) return ''
  let text = ''
  for (const key of Reflect.ownKeys(value)) text += ` ${String(key)} ${printed((value as Record<PropertyKey, unknown>)[key], depth + 1)}`
  return text
}

/** Where any 12 characters in a row of a token appear in `text`. */
function leaks(text: string, tokens: readonly string[]): string[] {
  const found: string[] = []
  for (const token of tokens) {
    for (let i = 0; i + 12 <= token.length; i++) {
      const piece = token.slice(i, i + 12)
      const at = text.indexOf(piece)
      if (at >= 0) {
        found.push(`…${text.slice(Math.max(0, at - 60), at + 72)}…`)
        break
      }
    }
  }
  return found
}

const servers = useRaceWorld()

export async function runSchedule(mode: Mode, tokens: string[], steps: Step[], { checkAuthErrors = false, signedIn = true, idleCloseMs = 1000 } = {}): Promise<void> {
  const bad = tokens.map((t) => `tok_${t.slice(4).split('').reverse().join('')}`)
  const valid = new Set([tokens[0]!])
  const revoked = new Set<string>()
  const accepts = (token: string) => valid.has(token) && !revoked.has(token)
  let current: string | null = signedIn ? tokens[0]! : null
  const truth = { processed: 0 }
  const console_ = captureConsole()
  const reports: string[] = []
  const authErrors: unknown[] = []
  /** Tokens the server refused at some point: `onAuthError` may be called once for each. */
  const refused = new Set<string>()
  const server = await startLiveServer({
    accepts: (token) => {
      if (!accepts(token)) refused.add(token)
      return accepts(token)
    },
    refusalReason: (token) => `invalid token ${token}`,
    snapshot: (path) =>
      path === socketPath('p1')
        ? [{ type: 'current_state', operation_id: 'a1', status: 'processing', processed_files: truth.processed, total_files: TOTAL }]
        : [{ type: 'index_status', project_id: 'p2', status: 'ready', entity_count: 3 }],
  })
  servers.push(server)
  /** REST calls made while the provider had no token, or carrying another than the current one. */
  const badCalls: string[] = []
  const rest = slowRest((call) => {
    const sent = call.authorization?.replace(/^Bearer /, '') ?? null
    if (mode === 'prop' && sent !== current) badCalls.push(`${call.path} with ${sent === null ? 'no token' : sent === current ? 'the current token' : 'another token'} while the current one was ${current === null ? 'none' : 'set'}`)
    if (sent === null || !accepts(sent)) {
      if (sent) refused.add(sent)
      return { status: 401, body: { detail: `token ${sent} is not valid` } }
    }
    if (call.path === '/api/operations/a1') return { status: 200, body: { id: 'a1', status: 'processing', processed_files: truth.processed, total_files: TOTAL } }
    if (call.path === '/api/projects/p2/index') return { status: 200, body: { project_id: 'p2', status: 'ready', entity_count: 3, indexed_at: INDEXED_AT } }
    return { status: 404 }
  })
  const sockets = countingWebSocket(() => current)
  const getter =
    mode === 'getter'
      ? () => current
      : mode === 'asyncGetter'
        ? // A token store that answers a little later, with what it holds then.
          () => new Promise<string | null>((resolve) => setTimeout(() => resolve(current), 30))
        : undefined
  const { queryClient, renderLive } = setupLive({
    apiUrl: server.apiUrl,
    WebSocket: sockets.WebSocket,
    accessToken: mode === 'prop' ? current : undefined,
    getAccessToken: getter,
    heartbeat: false,
    idleCloseMs,
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000, maxAttempts: 1000 },
    onAuthError: (info) => void authErrors.push(info),
    onEventError: (error) => void reports.push(`onEventError ${printed(error)}`),
    onCallbackError: (error) => void reports.push(`onCallbackError ${printed(error)}`),
  })
  vi.stubGlobal('fetch', rest.fetch)
  const seen: Seen = {}
  const controls: { toggle?: (view: View) => void; client?: LiveStatusClient } = {}
  const shown: Record<View, boolean> = { operation: true, index: true, status1: true, status2: true }
  const view = renderLive(<Page controls={controls} seen={seen} />)
  const setToken = (token: string | null) => {
    current = token
    if (mode === 'prop') view.rerenderWith(<Page controls={controls} seen={seen} />, { accessToken: token })
    // GETTER_WORKAROUND=1: what an app using `getAccessToken` can do today when its token changes
    // (reconnect every socket, retry what failed on auth). With it the getter properties that are
    // marked `.fails` below pass (so those `.fails` tests turn red): the defect is only that nothing
    // asks the getter again.
    else if (process.env.GETTER_WORKAROUND && token) {
      act(() => {
        controls.client!.hub.reconnect()
        void queryClient.invalidateQueries({ predicate: (q) => (q.state.error as { isAuthError?: boolean } | null)?.isAuthError === true })
      })
    }
  }
  const used = () => [...new Set([...tokens, ...bad])]

  try {
    await settleNow()
    for (const step of steps) {
      switch (step.kind) {
        case 'token': {
          let token = step.to.kind === 'none' ? null : step.to.kind === 'good' ? tokens[step.to.index]! : bad[step.to.index]!
          if (step.to.kind === 'good') {
            // A revoked token does not come back: the app gets a fresh one.
            if (revoked.has(token!)) token = tokens.find((t) => !revoked.has(t)) ?? null
            if (token === null) break
            valid.add(token)
          }
          setToken(token)
          break
        }
        case 'revoke':
          // Access re-checked on the server: every token but the current one is withdrawn.
          for (const token of valid) if (token !== current) revoked.add(token)
          for (const peer of server.peers) {
            if (peer.authed && !peer.closed && peer.token && revoked.has(peer.token)) {
              refused.add(peer.token)
              peer.ws.close(4401, `token ${peer.token} revoked`)
            }
          }
          break
        case 'progress':
          if (truth.processed < TOTAL) {
            truth.processed++
            server.publish(socketPath('p1'), { type: 'file_completed', operation_id: 'a1', processed_files: truth.processed, total_files: TOTAL })
          }
          if (step.deliver) await until(() => delivered(server, sockets.created), 'the events to reach the client')
          break
        case 'echo':
          // A server that quotes each socket's token back: a type nobody knows, and a malformed event.
          for (const peer of server.peers) {
            if (!peer.authed || peer.closed) continue
            server.send(peer, { type: 'session_info', note: `authenticated as ${peer.token}` })
            server.send(peer, { type: 'file_completed', operation_id: 'a1', processed_files: `${peer.token}`, total_files: TOTAL })
          }
          if (step.deliver) await until(() => delivered(server, sockets.created), 'the events to reach the client')
          break
        case 'answer':
          rest.answer(step.index, step.fail ? (call) => ({ status: 500, body: { detail: `upstream refused ${call.authorization}` } }) : undefined)
          break
        case 'drop':
          await dropSockets(server, sockets.created, socketPath(step.project))
          break
        case 'mount':
          shown[step.view] = !shown[step.view]
          act(() => controls.toggle!(step.view))
          break
        case 'time':
          await elapse(step.ms)
          break
        case 'connect':
          await socketsOpened(server, sockets.created)
          break
        case 'refetch':
          act(() => void queryClient.refetchQueries({ type: 'active' }))
          break
      }
      await settleNow()
    }

    rest.auto = true
    await elapse(2100)
    const wanted = new Set<Project>()
    if (shown.operation) wanted.add('p1')
    if (shown.index) wanted.add('p2')
    const signedOut = current === null
    const good = current !== null && accepts(current)
    const problems = (): string[] => {
      const found: string[] = []
      for (const peer of server.peers) {
        if (peer.unauthenticatedMessages.length > 0) found.push(`a socket spoke before authenticating: ${JSON.stringify(peer.unauthenticatedMessages)}`)
      }
      for (const socket of sockets.created) {
        if (socket.madeWith === null) found.push(`a socket was made while there was no token (${socket.url})`)
        else if (socket.firstSent !== undefined && JSON.parse(socket.firstSent).token !== socket.madeWith) found.push(`a socket made after a rotation authenticated with an earlier token`)
      }
      found.push(...badCalls.map((c) => `REST call ${c}`))
      for (const project of PROJECTS) {
        if (!wanted.has(project)) continue
        const open = server.openAt(socketPath(project), true)
        const statusView = document.querySelector(`[role="status"].${project}`) as HTMLElement | null
        const hook = project === 'p1' ? seen.operation : seen.index
        const state = hook?.connection
        const indicator = statusView?.dataset.state
        const openWithGood = open.length === 1 && accepts(open[0]!.token!)
        // What may be on screen for each token: a socket opened before a change stays open on it
        // (rotation keeps an open socket); `getAccessToken` is only asked at the next connect.
        const allowed: string[] =
          good ? ['open'] : signedOut ? (mode === 'prop' ? ['signed-out'] : ['signed-out', 'open', 'unauthorized']) : ['unauthorized', 'open']
        if (state !== undefined && !allowed.includes(state)) found.push(`${project}'s hook says ${state}, expected ${allowed.join(' or ')}`)
        if (state === 'open' && !openWithGood) found.push(`${project}'s hook says open, and the server holds ${open.length} socket(s) (${open.map((p) => (accepts(p.token!) ? 'accepted' : 'refused')).join(', ')})`)
        if (state !== undefined && state !== 'open' && open.length > 0) found.push(`${project}'s hook says ${state}, and the server still holds ${open.length} socket(s) open`)
        // What <ConnectionStatus> shows for each state (docs/hooks.md): `connected` covers open, idle and a first connect.
        const expectedIndicator = state === 'open' || state === 'idle' || state === 'connecting' ? 'connected' : state
        if (statusView && state !== undefined && allowed.includes(state) && indicator !== expectedIndicator) found.push(`${project}'s indicator says ${indicator} "${statusView.textContent}" while its hook says ${state}`)
        if (statusView && indicator === 'signed-out' && !statusView.textContent?.includes('Waiting for sign-in')) found.push(`${project}'s indicator reads "${statusView.textContent}" while signed out`)
      }
      if (mode === 'prop' && signedOut && server.peers.some((p) => !p.closed)) found.push(`signed out, and the server holds ${server.peers.filter((p) => !p.closed).length} socket(s) open`)
      if (good) {
        if (seen.operation && (seen.operation.data?.processedFiles !== truth.processed || seen.operation.data?.status !== 'processing')) found.push(`a1 shows ${seen.operation.data?.status} ${seen.operation.data?.processedFiles}, the server says processing ${truth.processed}`)
        if (seen.index && seen.index.data?.state !== 'complete') found.push(`p2's index shows ${seen.index.data?.state}, the server says complete`)
      }
      if (rest.open().length > 0) found.push(`${rest.open().length} REST request(s) unanswered`)
      return found
    }
    const leaked = (): string[] => [
      ...leaks(console_.lines.join('\n'), used()).map((l) => `console: ${l}`),
      ...leaks(reports.join('\n'), used()).map((l) => `report: ${l}`),
      ...leaks(authErrors.map((a) => printed(a)).join('\n'), used()).map((l) => `onAuthError: ${l}`),
      ...leaks(screen.queryAllByRole('status').map((s) => s.textContent).join('\n'), used()).map((l) => `ConnectionStatus: ${l}`),
      ...leaks(document.body.textContent ?? '', used()).map((l) => `page: ${l}`),
    ]
    await settle(() => [...problems(), ...leaked()], { timeoutMs: 1500 })
    if (checkAuthErrors) expect(authErrors.length, `onAuthError calls (${refused.size} token(s) refused): ${JSON.stringify(authErrors)}`).toBeLessThanOrEqual(refused.size)
    expect(sockets.violations, 'a second socket for a project while one was CONNECTING or OPEN').toBe(0)
  } finally {
    console_.restore()
    await endSchedule(view, queryClient, server)
  }
}

const scheduleArb = fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'medium' })
// Not shrunk: any six distinct tokens make the same schedule.
const tokensArb = fc.noShrink(fc.uniqueArray(tokenArb, { minLength: TOKENS, maxLength: TOKENS }))
/** Only tokens the server takes: rotations and revocations, never signed out or refused. */
const goodOnly = fc.array(
  stepArb.filter((step) => step.kind !== 'token' || step.to.kind === 'good'),
  { minLength: 1, maxLength: 40, size: 'medium' },
)
const named = { prop: 'accessToken', getter: 'getAccessToken', asyncGetter: 'async getAccessToken' } as const

/** The seed that found the getter never asked again (kept whatever MODEL_SEED says). */
const FOUND_SEED = 20261206

describe('token churn under the hooks (generated schedules, real ws server)', () => {
  // `idleCloseMs: 0` in the tests that must pass: with a grace period, a view that leaves and comes
  // back while its socket waits (for a retry, for an async token) can find it stuck for good, the
  // defect pinned in paramChurn.races.test.tsx and at the end of this file.
  test(`accessToken: no socket without a token, the new token after a rotation, signed-out shown, no token anywhere (${RUNS(40)} schedules)`, async () => {
    await checkProperty('token churn (accessToken)', fc.tuple(tokensArb, scheduleArb), ([tokens, steps]) => runSchedule('prop', tokens, steps, { idleCloseMs: 0 }), { runs: RUNS(40) })
  }, 240_000)

  for (const mode of ['getter', 'asyncGetter'] as const) {
    // Found a defect (fixed in src/transport/connection.ts `#askAgain`): with `getAccessToken`, a
    // connection that found no token (`signed-out`) or had its token refused (`unauthorized`)
    // never asked the getter again: only a change of the `accessToken` prop revived it, so once
    // the getter had a token the page still said "Waiting for sign-in" for good. The getter is now
    // asked again with backoff; a token it still gives after a refusal is not tried again. The
    // default seed found it at the 13th (getter) and 9th (async) schedule.
    test(`${named[mode]}: the same invariants, signed out and refused tokens included (seed ${FOUND_SEED}, 40 schedules)`, async () => {
      await checkProperty(`token churn (${mode})`, fc.tuple(tokensArb, scheduleArb), ([tokens, steps]) => runSchedule(mode, tokens, steps), { runs: 40, seed: FOUND_SEED })
    }, 240_000)

    // Rotations and revocations only (the getter always has a token the server takes): every
    // invariant above, where the getter is asked at each connect.
    test(`${named[mode]}, good tokens only: no socket without a token, the new token after a rotation, no token anywhere (${RUNS(40)} schedules)`, async () => {
      await checkProperty(`token churn (${mode}, good tokens)`, fc.tuple(tokensArb, goodOnly), ([tokens, steps]) => runSchedule(mode, tokens, steps, { idleCloseMs: 0 }), { runs: RUNS(40) })
    }, 240_000)
  }

  // The fixed defect, pinned: the getter has no token when the page mounts (the session is still
  // loading), then has one. With `accessToken` the same schedule connects, and now with the getter.
  test('getAccessToken: a page mounted before sign-in connects once the getter returns a token', async () => {
    const tokens = ['tok_S3ssionL0adingXXXXXXXXXXXXXXXXXXXXXXXXXXXX', 'tok_unusedAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']
    const steps: Step[] = [{ kind: 'time', ms: 600 }, { kind: 'token', to: { kind: 'good', index: 0 } }]
    await runSchedule('prop', [...tokens, ...tokens, ...tokens], steps, { signedIn: false })
    await runSchedule('getter', [...tokens, ...tokens, ...tokens], steps, { signedIn: false })
  }, 30_000)

  // Found a defect (fixed in src/transport/socketHub.ts `markUnauthorized`): one refused token, four
  // `onAuthError` calls. A REST 401 marked every connection unauthorized, and each reported the
  // token its own socket used (here the previous, still accepted one for p2); the hub forgot all but
  // the last token it reported, so every further 401 reported again. docs/cache-rules.md: "calls
  // onAuthError once". The hub now reports a REST refusal once itself.
  test('one refused token: onAuthError once', async () => {
    const tokens = Array.from({ length: TOKENS }, (_, i) => `tok_${String(i).repeat(40)}`)
    await runSchedule(
        'prop',
        tokens,
        [
          { kind: 'connect' },
          { kind: 'answer', index: 0, fail: false },
          { kind: 'answer', index: 0, fail: false },
          // Both projects' sockets stay open on the old token; p1's is cut and comes back with the new one.
          { kind: 'token', to: { kind: 'bad', index: 1 } },
          { kind: 'drop', project: 'p1' },
          { kind: 'time', ms: 600 },
          { kind: 'connect' },
          { kind: 'refetch' },
        ],
        { checkAuthErrors: true },
      )
  }, 30_000)
})

describe('a connection whose last view leaves while it waits for its token', () => {
  // Found a defect (fixed in src/transport/connection.ts `addSubscriber`): the view left while
  // the async `getAccessToken` was pending; the token arrived, `#connect`'s callback found no
  // subscriber and returned, leaving `connecting` with no socket, timer or pending token; the view
  // came back within `idleCloseMs` and stayed `connecting` for good. Found by MODEL_SEED=3.
  test('async getAccessToken: a view that leaves and comes back while its token is fetched still connects', async () => {
    const tokens = Array.from({ length: TOKENS }, (_, i) => `tok_${String.fromCharCode(97 + i).repeat(40)}`)
    await runSchedule('asyncGetter', tokens, [
      { kind: 'mount', view: 'operation' },
      { kind: 'time', ms: 50 },
      { kind: 'mount', view: 'operation' },
    ])
  }, 30_000)
})
