// The reference server folds the events it publishes with the channels' schemas and reducers
// (`ProjectState`). A dialect's operation channel may carry an app's schema: whatever that schema
// does (refuse, throw, answer asynchronously), the event stays out of the state and nothing escapes
// into the server's loop. Vitest fails a run on an unhandled rejection, so the asynchronous case
// below failed before the server validated through the frame decoder's `validateNow`.
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { operationProgressChannel } from '../../src/channels/operationProgress'
import { ProjectState } from '../../src/server'
import type { StandardSchemaV1 } from '../../src/transport/types'

const started = { type: 'operation_started', operation_id: 'op1', seq: 1, total_files: 4 }
const progress = { type: 'operation_progress', operation_id: 'op1', seq: 2, processed_files: 2, total_files: 4 }

const withSchema = (schema: StandardSchemaV1<unknown, any>) => ({ schema, reduce: operationProgressChannel.reduce })

/** A schema built by hand: `validate` is whatever the test needs. */
const handSchema = (validate: (value: unknown) => unknown): StandardSchemaV1<unknown, any> => ({
  '~standard': { version: 1, vendor: 'test', validate: validate as StandardSchemaV1<unknown, any>['~standard']['validate'] },
})

describe('ProjectState validates every event through Standard Schema', () => {
  test('a zod 4 schema: accepted events are folded, refused ones left out', () => {
    const schema = z.looseObject({ type: z.enum(['operation_started', 'operation_progress']), operation_id: z.string(), processed_files: z.number().optional() })
    const state = new ProjectState('p1', withSchema(schema))
    state.apply(started)
    state.apply({ ...progress, processed_files: 'two' })
    expect(state.operations.get('op1')).toMatchObject({ status: 'processing', processedFiles: 0 })
    state.apply(progress)
    expect(state.operations.get('op1')).toMatchObject({ processedFiles: 2, percent: 50 })
  })

  test('an asynchronous schema refuses every event, and its rejection is not left unhandled', async () => {
    const unhandled: unknown[] = []
    const note = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', note)
    try {
      let calls = 0
      const schema = handSchema(() => {
        calls++
        return Promise.reject(new Error('checked elsewhere'))
      })
      const state = new ProjectState('p1', withSchema(schema))
      state.apply(started)
      state.apply(progress)
      expect(calls).toBe(2)
      expect(state.operations.size).toBe(0)
      // Node reports unhandled rejections after the microtasks of a macrotask: two turns are enough.
      for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', note)
    }
  })

  test('a schema that throws leaves the event out and does not throw out of apply', () => {
    const schema = handSchema(() => {
      throw new Error('transform failed')
    })
    const state = new ProjectState('p1', withSchema(schema))
    expect(() => state.apply(started)).not.toThrow()
    expect(state.operations.size).toBe(0)
    // The built-in index events are still folded.
    state.apply({ type: 'index_started', project_id: 'p1', seq: 3 })
    expect(state.index?.state).toBe('indexing')
  })

  test("a dialect's schema of another shape: the id is read from its output", () => {
    const schema = z
      .object({ op: z.literal('job.update'), job: z.object({ jobId: z.string(), done: z.number(), of: z.number() }) })
      .transform(({ job }) => ({ type: 'operation_progress', operation_id: job.jobId, processed_files: job.done, total_files: job.of }))
    const state = new ProjectState('p1', withSchema(schema))
    state.apply({ op: 'job.update', job: { jobId: 'j1', done: 3, of: 10 }, seq: 1 } as never)
    expect(state.operations.get('j1')).toMatchObject({ processedFiles: 3, totalFiles: 10, percent: 30 })
  })

  test('a reducer that throws leaves the event out and does not throw out of apply', () => {
    const state = new ProjectState('p1', {
      schema: operationProgressChannel.schema,
      reduce: () => {
        throw new Error('reducer bug')
      },
    })
    expect(() => state.apply(started)).not.toThrow()
    expect(state.operations.size).toBe(0)
  })
})
