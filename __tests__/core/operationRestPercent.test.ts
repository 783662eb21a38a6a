// A backend whose REST body gives counts and no percent (a `parse` that returns none): the row
// shows the counts over the total, as an event without a percent is read, and never goes back.
import { describe, expect, test } from 'vitest'
import { mergeOperation, parseOperationStatus, reduceOperation, toOperationStatus, type OperationProgress } from '../../src/channels/operationProgress'

const row = (percent: number, processedFiles: number, totalFiles: number): OperationProgress => ({
  operationId: 'j1',
  status: 'processing',
  processedFiles,
  failedFiles: 0,
  totalFiles,
  percent,
  updatedAt: new Date(0),
})

describe('a REST answer without a percent', () => {
  test('first answer: the counts over the total', () => {
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: 2, failedFiles: 1, totalFiles: 10 }, 'j1').percent).toBe(30)
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: 2 }, 'j1').percent).toBe(0)
    // An app's parse is not validated: counts that are not counts give no percent.
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: -5, totalFiles: 10 }, 'j1').percent).toBe(0)
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: Number.NaN, totalFiles: 10 }, 'j1').percent).toBe(0)
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: Infinity, totalFiles: Infinity }, 'j1').percent).toBe(0)
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: Infinity, totalFiles: 10 }, 'j1').percent).toBe(0)
    expect(mergeOperation(undefined, { status: 'processing', processedFiles: '5', totalFiles: '10' } as never, 'j1').percent).toBe(0)
    // A percent that is not one does not stick: the next real one moves the row.
    const noPercent = mergeOperation(undefined, { status: 'processing', percent: Number.NaN, processedFiles: 2, totalFiles: 10 }, 'j1')
    expect(noPercent.percent).toBe(20)
    expect(mergeOperation(noPercent, { status: 'processing', percent: 70 }, 'j1').percent).toBe(70)
  })

  test("on top of the socket: REST's own counts over the total, never below what was shown", () => {
    expect(mergeOperation(row(10, 1, 10), { status: 'processing', processedFiles: 3, totalFiles: 10 }, 'j1').percent).toBe(30)
    expect(mergeOperation(row(60, 6, 10), { status: 'processing', processedFiles: 3, totalFiles: 10 }, 'j1').percent).toBe(60)
    expect(mergeOperation(row(0, 5, 10), { status: 'processing', processedFiles: 3, totalFiles: 10 }, 'j1').percent).toBe(30)
  })

  test("a staged dialect's percent is not replaced by the socket's counts when REST gives neither (a review found 70 -> 100 %)", () => {
    // The document indexer's REINDEX at the end of reprocessing: 30/30 files, the stage weighs 70 %.
    const reprocessed = { ...row(70, 30, 30), stage: 'reprocessing' }
    expect(mergeOperation(reprocessed, { status: 'processing' }, 'j1').percent).toBe(70)
  })

  test('a percent REST gives is taken as it is', () => {
    expect(mergeOperation(row(10, 1, 10), { status: 'processing', processedFiles: 3, totalFiles: 10, percent: 25 }, 'j1').percent).toBe(25)
  })
})

describe("a server's status word that names something on Object.prototype", () => {
  test('is no status: REST refuses it, an event of it changes nothing it should not', () => {
    for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(toOperationStatus(word)).toBeUndefined()
      expect(() => parseOperationStatus({ id: 'j1', status: word })).toThrow(/status is none of/)
    }
    expect(toOperationStatus('RUNNING')).toBe('processing')
    const context = { params: { operationId: 'j1' }, now: 0, scratch: {} }
    const running = reduceOperation(undefined, { type: 'operation_progress', operation_id: 'j1', processed_files: 1 }, context)
    // `operation_completed` without a status word it knows completes, as with any unknown word.
    const done = reduceOperation(running, { type: 'operation_completed', operation_id: 'j1', status: 'constructor' }, context)
    expect(done.status).toBe('completed')
    expect(typeof done.status).toBe('string')
  })
})
