/**
 * Issue #21, item 1: a failure's message reaches the screen. On a socket of its own
 * (`/ws/operations/{id}`) the document indexer sends `{"type":"error","message":…}` without an
 * operation id, then the terminal status; REST's `error_message` may be the only place the reason
 * is. fast-check generates the order of the error and terminal events, whether each carries a
 * message, when REST is asked and answers (before or after the failure, with or without
 * `error_message`) and how frames are batched into flushes. Whatever the schedule: the status ends
 * `failed`; the error is a real message whenever any source gave one, the placeholder only when
 * none did; and once a real message is shown it is never replaced by the placeholder.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { mergeOperation, reduceOperation, type OperationProgress } from '../../src/channels/operationProgress'
import { createOperationWorld, type Frame } from './operationWorld'

const SEED = Number(process.env.MODEL_SEED ?? 20260121)
const RUNS = Number(process.env.MODEL_RUNS ?? 300)
const PLACEHOLDER = 'Operation failed'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2026-01-21T12:00:00Z'))
})
afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
})

/** The terminal event as the document indexer's dialects send it, with the message or without. */
const terminalKinds = ['status_update', 'status_update_message', 'operation_failed', 'operation_completed_failed', 'current_state_failed'] as const
type TerminalKind = (typeof terminalKinds)[number]

function terminalFrame(kind: TerminalKind, message: string): Frame {
  switch (kind) {
    case 'status_update':
      return { timestamp: '2026-01-21T12:00:05Z', type: 'status_update', data: { status: 'failed' } }
    case 'status_update_message':
      return { timestamp: '2026-01-21T12:00:05Z', type: 'status_update', data: { status: 'failed', error_message: message } }
    case 'operation_failed':
      return { type: 'operation_failed' }
    case 'operation_completed_failed':
      return { type: 'operation_completed', status: 'failed' }
    case 'current_state_failed':
      return { timestamp: '2026-01-21T12:00:05Z', type: 'current_state', data: { status: 'failed', operation_type: 'append', error_message: null } }
  }
}
const terminalMessage = (kind: TerminalKind, message: string) => (kind === 'status_update_message' ? message : undefined)

type Step = { kind: 'fail' } | { kind: 'deliver'; count: number } | { kind: 'flush' } | { kind: 'answer'; index: number } | { kind: 'refetch' } | { kind: 'time'; ms: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('answer' as const), index: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'refetch' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(10, 1000, 5000) }) },
)

const scenarioArb = fc.record({
  /** Whether the `error` event is sent at all, and with a message (`null`: without one). */
  errorEvent: fc.option(fc.option(fc.constant('PermissionError: [Errno 13] Permission denied: /data/a.pdf'), { nil: null }), { nil: undefined }),
  errorAfterTerminal: fc.boolean(),
  terminal: fc.constantFrom(...terminalKinds),
  restMessage: fc.option(fc.constant('Append failed: PermissionError: Permission denied'), { nil: undefined }),
  /** Steps before the failure happens on the server, and after. */
  before: fc.array(stepArb, { maxLength: 6 }),
  after: fc.array(stepArb, { maxLength: 12 }),
})

describe('a failure’s message is kept (issue #21, item 1)', () => {
  test(`generated failure schedules: the real message wins over the placeholder (${RUNS} schedules)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const server = { status: 'processing', error: null as string | null }
        const world = await createOperationWorld(() => ({
          status: 200,
          body: { id: 'op1', type: 'append', status: server.status, error_message: server.error, created_at: '2026-01-21T11:59:00Z' },
        }))
        const real = new Set<string>()
        try {
          const run = async (step: Step) => {
            switch (step.kind) {
              case 'fail': {
                server.status = 'failed'
                server.error = s.restMessage ?? null
                if (s.restMessage) real.add(s.restMessage)
                const error: Frame | undefined = s.errorEvent === undefined ? undefined : s.errorEvent === null ? { type: 'error' } : { type: 'error', message: s.errorEvent }
                if (s.errorEvent) real.add(s.errorEvent)
                const terminal = terminalFrame(s.terminal, 'Worker failed: permission denied')
                const fromTerminal = terminalMessage(s.terminal, 'Worker failed: permission denied')
                if (fromTerminal) real.add(fromTerminal)
                const frames = s.errorAfterTerminal ? [terminal, error] : [error, terminal]
                for (const frame of frames) if (frame) world.publish(frame)
                break
              }
              case 'deliver':
                world.deliver(step.count)
                break
              case 'flush':
                world.flush()
                break
              case 'answer':
                world.answer(step.index)
                break
              case 'refetch':
                world.refetch()
                break
              case 'time':
                await vi.advanceTimersByTimeAsync(step.ms)
                break
            }
            await vi.advanceTimersByTimeAsync(0)
          }
          for (const step of [...s.before, { kind: 'fail' } as Step, ...s.after]) await run(step)
          await world.settle()

          const data = world.data()
          expect(data?.status).toBe('failed')
          if (real.size > 0) expect([...real]).toContain(data?.error)
          else expect(data?.error).toBe(PLACEHOLDER)
          // Along the way: a real message, once shown, is never replaced by the placeholder, and a
          // failed operation stays failed.
          let shownReal = false
          let failed = false
          for (const value of world.history) {
            if (failed) expect(value.status).toBe('failed')
            if (value.status === 'failed') failed = true
            if (shownReal) expect(value.error).not.toBe(PLACEHOLDER)
            if (value.error !== undefined && value.error !== PLACEHOLDER) shownReal = true
          }
        } finally {
          world.dispose()
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
  }, 120_000)

  test('the reported case: error without an id on the operation’s own socket, then failed; REST’s error_message after', async () => {
    const server = { status: 'processing', error: null as string | null }
    const world = await createOperationWorld(() => ({ status: 200, body: { id: 'op1', type: 'append', status: server.status, error_message: server.error } }))
    try {
      await world.settle({ rounds: 2 })
      server.status = 'failed'
      server.error = 'PermissionError: [Errno 13] Permission denied'
      world.publish({ type: 'status_update', data: { status: 'failed' } })
      world.deliver()
      world.flush()
      await vi.advanceTimersByTimeAsync(0)
      expect(world.data()).toMatchObject({ status: 'failed', error: PLACEHOLDER })
      await world.settle()
      expect(world.data()).toMatchObject({ status: 'failed', error: 'PermissionError: [Errno 13] Permission denied' })
    } finally {
      world.dispose()
    }
  })
})

describe('placeholder vs real message, reducer and merge (issue #21, item 1)', () => {
  const context = () => ({ params: { operationId: 'op1' }, now: 0, scratch: {} })
  const running: OperationProgress = { operationId: 'op1', status: 'processing', processedFiles: 0, failedFiles: 0, totalFiles: 0, percent: 0, updatedAt: new Date(0) }

  test('a message that arrives after the terminal event replaces the placeholder', () => {
    const failed = reduceOperation(running, { type: 'operation_failed' }, context())
    expect(failed.error).toBe(PLACEHOLDER)
    const told = reduceOperation(failed, { type: 'error', message: 'Permission denied' }, context())
    expect(told.error).toBe('Permission denied')
    // And a second, later message does not replace the first real one.
    expect(reduceOperation(told, { type: 'error', message: 'other' }, context()).error).toBe('Permission denied')
  })

  test('REST’s error_message replaces the placeholder; the placeholder never replaces a real message', () => {
    const failed = reduceOperation(running, { type: 'operation_failed' }, context())
    expect(mergeOperation(failed, { status: 'failed', error: 'Permission denied' }, 'op1').error).toBe('Permission denied')
    const real = reduceOperation(running, { type: 'error', message: 'Permission denied' }, context())
    expect(mergeOperation(real, { status: 'failed' }, 'op1').error).toBe('Permission denied')
    expect(mergeOperation(real, { status: 'failed', error: PLACEHOLDER }, 'op1').error).toBe('Permission denied')
    // REST alone, without a message: the placeholder, so a failed operation always has an error.
    expect(mergeOperation(undefined, { status: 'failed' }, 'op1').error).toBe(PLACEHOLDER)
    expect(mergeOperation(running, { status: 'failed' }, 'op1').error).toBe(PLACEHOLDER)
  })
})
