/**
 * Issue #21, item 2: each of the document indexer's four operation types shows a moving percent.
 * The fixtures are the frames its current worker code sends (the enveloped dialect, counters
 * directly inside `data`, `data.operation_id` added by the updater), fed through the event schema
 * (what it rejects, e.g. `collection_stats`, is dropped as the frame decoder drops it) and the
 * reducer. Before the terminal event the percent must rise at least once, and it never falls.
 */
import { describe, expect, test } from 'vitest'
import { isTerminalStatus, type OperationEvent, type OperationProgress } from '../../src/channels/operationProgress'
import { documentIndexerOperationChannel as channel } from '../../src/dialects/documentIndexer'
import { validateNow } from '../../src/transport/frameDecoder'

// The indexer's vocabulary lives in its dialect.
const reduceOperation = channel.reduce as (data: OperationProgress | undefined, event: OperationEvent, context: { params: { operationId: string }; now: number; scratch: Record<string, unknown> }) => OperationProgress
import { appendFrames, indexFrames, OP, reindexFrames, removeSourceFrames } from './indexerFrames'

/** The frames the schema accepts, as the frame decoder hands them on (the rest is reported and dropped). */
const accepted = (list: Record<string, unknown>[]) =>
  list.flatMap((frame) => {
    const parsed = validateNow(channel.schema, frame, (error) => {
      throw error
    })
    return parsed.issues ? [] : [parsed.value as OperationEvent]
  })

/** The percent after each event before the first terminal one, and the value after all of them. */
function run(list: Record<string, unknown>[]) {
  const context = { params: { operationId: OP }, now: 0, scratch: {} }
  let data: OperationProgress | undefined
  const beforeEnd: number[] = []
  let ended = false
  for (const event of accepted(list)) {
    data = reduceOperation(data, event, context)
    ended ||= isTerminalStatus(data.status)
    if (!ended) beforeEnd.push(data.percent)
  }
  return { beforeEnd, final: data! }
}

function expectMoving(percents: number[]) {
  // Never backwards, and at least one strict rise before the end.
  for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThanOrEqual(percents[i - 1]!)
  expect(percents.some((p, i) => i > 0 && p > percents[i - 1]!)).toBe(true)
  expect(percents[percents.length - 1]!).toBeGreaterThan(0)
}

describe('every operation type shows a moving percent (issue #21, item 2)', () => {
  test('APPEND, parallel path: the total from scanning_completed inside data, counts from processing_progress', () => {
    const { beforeEnd, final } = run(appendFrames)
    expectMoving(beforeEnd)
    // 10 / 40, then 21 / 40 (one failed), then 32 / 40 (one skipped).
    expect(beforeEnd.map(Math.round)).toEqual([0, 0, 0, 0, 25, 53, 80])
    expect(final).toMatchObject({ status: 'completed', operationType: 'append', percent: 100, totalFiles: 40, processedFiles: 30, failedFiles: 1 })
  })

  test('REMOVE_SOURCE: removed and progress_percent inside data', () => {
    const { beforeEnd, final } = run(removeSourceFrames)
    expectMoving(beforeEnd)
    expect(beforeEnd.map(Math.round)).toEqual([0, 40, 80, 100])
    expect(final).toMatchObject({ status: 'completed', stage: 'completed', percent: 100, processedFiles: 250, totalFiles: 250 })
  })

  test('REINDEX: the stage’s own progress_percent is placed in the reprocessing span (20–70)', () => {
    const { beforeEnd, final } = run(reindexFrames)
    expectMoving(beforeEnd)
    expect(beforeEnd.map(Math.round)).toEqual([0, 10, 20, 37, 53, 70, 90])
    expect(final).toMatchObject({ status: 'completed', percent: 100, processedFiles: 30, totalFiles: 30 })
  })

  test('INDEX: document_processed counts over the announced total; current_document is the current file', () => {
    const { beforeEnd, final } = run(indexFrames)
    expectMoving(beforeEnd)
    expect(beforeEnd.map(Math.round)).toEqual([0, 0, 0, 0, 25, 50, 75, 100])
    expect(final).toMatchObject({ status: 'completed', percent: 100, processedFiles: 3, failedFiles: 1, totalFiles: 4, currentFile: '/data/all/d.pdf' })
  })

  test('the flat dialect of the same counters: removing_documents {removed, total, progress_percent}, scanning_completed {total_files_found}', () => {
    const context = { params: { operationId: OP }, now: 0, scratch: {} }
    let remove = reduceOperation(undefined, { type: 'removing_documents', removed: 50, total: 200, progress_percent: 25 }, context)
    expect(remove).toMatchObject({ processedFiles: 50, totalFiles: 200, percent: 25, stage: 'removing' })
    remove = reduceOperation(remove, { type: 'removing_documents', removed: 100, total: 200 }, context)
    expect(remove.percent).toBe(50)
    let append = reduceOperation(undefined, { type: 'scanning_completed', total_files_found: 8 }, context)
    append = reduceOperation(append, { type: 'processing_progress', data: { processed: 2, failed: 0 } }, context)
    expect(append).toMatchObject({ totalFiles: 8, percent: 25 })
  })

  test('a status inside data decides operation_completed: {"data":{"status":"failed"}} is a failure', () => {
    const context = { params: { operationId: OP }, now: 0, scratch: {} }
    const data = reduceOperation(undefined, { type: 'operation_completed', data: { status: 'failed', error_message: 'disk full' } }, context)
    expect(data).toMatchObject({ status: 'failed', error: 'disk full' })
  })
})

describe('a failure stated by the event itself carries its reason in `message` (a probe against PROTOCOLS.md)', () => {
  // Before: only `error` and `operation_failed` events' `message` was read as the reason; these
  // showed "Operation failed" for good when REST's `error_message` was null (the spec allows it).
  test.each([
    [
      'the documented flat dialect: operation_completed with status "failed"',
      [
        { type: 'operation_started', operation_id: OP, operation_type: 'index', total_files: 2 },
        { type: 'file_processing', current_file: '/a', processed_files: 0, total_files: 2, status: 'processing' },
        { type: 'operation_completed', operation_id: OP, status: 'failed', message: 'Embedding service unavailable' },
      ],
      'Embedding service unavailable',
    ],
    [
      'status_update with data.status "failed" and data.message',
      [
        { type: 'current_state', data: { status: 'processing', operation_type: 'reindex', operation_id: OP } },
        { type: 'reindex_preflight', data: { documents_to_process: 10, operation_id: OP } },
        { type: 'status_update', data: { status: 'failed', operation_id: OP, message: 'Staging collection could not be created' } },
      ],
      'Staging collection could not be created',
    ],
  ])('%s', (_, frames, reason) => {
    expect(run(frames).final).toMatchObject({ status: 'failed', error: reason })
  })

  test('a message on an event that does not say the operation failed is no reason', () => {
    const { final } = run([
      { type: 'operation_started', operation_id: OP, operation_type: 'index', total_files: 2, message: 'Indexing started' },
      { type: 'operation_completed', operation_id: OP, status: 'failed' },
    ])
    expect(final).toMatchObject({ status: 'failed', error: 'Operation failed' })
  })
})
