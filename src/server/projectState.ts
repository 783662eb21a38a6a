import { indexEventSchema, indexStatusChannel, type IndexStatus } from '../channels/indexStatus'
import { isTerminalStatus, operationProgressChannel, type OperationProgress } from '../channels/operationProgress'
import { validateNow } from '../transport/frameDecoder'
import type { EventSchema } from '../transport/types'
import type { SequencedEvent } from './eventBus'

/**
 * What a schema accepts of an event, or undefined. A schema that refuses, throws or validates
 * asynchronously leaves the event out of the state, as the client's frame decoder leaves it out of
 * the cache; nothing it does reaches the server's loop.
 */
const accepted = <T>(schema: EventSchema<T>, event: unknown): T | undefined => {
  const result = validateNow(schema, event, () => {})
  return result.issues ? undefined : result.value
}

const restIndexStatus: Record<IndexStatus['state'], string> = {
  not_indexed: 'not_indexed',
  queued: 'pending',
  indexing: 'indexing',
  complete: 'ready',
  failed: 'failed',
}

/** The operation channel a server folds with: the reference one, or a dialect's (`createOperationChannel`). */
export type OperationChannel = Pick<typeof operationProgressChannel, 'schema' | 'reduce'>

/**
 * What the server knows of a project's jobs, folded from the events it publishes with the same
 * reducers the hooks use: the source of the snapshot sent on connect and of the REST answers.
 */
export class ProjectState {
  readonly projectId: string
  index: IndexStatus | undefined
  indexedAt: Date | undefined
  readonly operations = new Map<string, OperationProgress>()
  #scratch = new Map<string, Record<string, unknown>>()

  #operations: OperationChannel

  /** `operations`: the channel whose vocabulary this project's operation events speak. */
  constructor(projectId: string, operations: OperationChannel = operationProgressChannel) {
    this.projectId = projectId
    this.#operations = operations
  }

  apply(event: SequencedEvent, now = Date.now()): void {
    const index = accepted(indexEventSchema, event)
    if (index) {
      const next = indexStatusChannel.reduce(this.index, index, { params: { projectId: this.projectId }, now, scratch: {} })
      if (next?.state === 'complete' && this.index?.state !== 'complete') this.indexedAt = next.updatedAt
      this.index = next
      return
    }
    // The id as the channel reads it: a dialect's schema may put it elsewhere in the message.
    const operation = accepted(this.#operations.schema, event)
    let operationId: unknown
    try {
      operationId = operation?.operation_id ?? operation?.data?.operation_id
    } catch {
      return
    }
    if (typeof operationId !== 'string') return
    let scratch = this.#scratch.get(operationId)
    if (!scratch) this.#scratch.set(operationId, (scratch = {}))
    let next: OperationProgress | undefined
    try {
      next = this.#operations.reduce(this.operations.get(operationId), operation!, { params: { operationId }, now, scratch })
    } catch {
      // A dialect's reducer that throws on an event leaves it out of the state, as the client's
      // writer does; the event is published all the same (it is already in the bus).
      return
    }
    if (next) this.operations.set(operationId, next)
  }

  /** Nothing to report: no index record and no operation. */
  get isEmpty(): boolean {
    return this.index === undefined && this.operations.size === 0
  }

  /** Drops operations that finished before `cutoff` (epoch ms); returns their ids. */
  forgetFinished(cutoff: number): string[] {
    const forgotten: string[] = []
    for (const [operationId, operation] of this.operations) {
      if (isTerminalStatus(operation.status) && operation.updatedAt.getTime() < cutoff) {
        this.operations.delete(operationId)
        this.#scratch.delete(operationId)
        forgotten.push(operationId)
      }
    }
    return forgotten
  }

  /**
   * The snapshot events, each carrying `seq` so clients order them with what follows. A checkpoint
   * (`withTimestamps`) also carries each record's time, so state rebuilt from it on another
   * instance reports the same `updated_at`.
   */
  snapshot(seq: number, { withTimestamps = false } = {}): SequencedEvent[] {
    const events: SequencedEvent[] = []
    if (this.index) {
      events.push({
        type: 'index_status',
        project_id: this.projectId,
        status: restIndexStatus[this.index.state],
        ...(this.index.branch ? { branch: this.index.branch } : {}),
        ...(this.index.entityCount !== undefined ? { entity_count: this.index.entityCount } : {}),
        ...(this.index.error ? { error: this.index.error } : {}),
        ...(withTimestamps ? { timestamp: this.index.updatedAt.toISOString() } : {}),
        seq,
      })
    }
    for (const operation of this.operations.values()) {
      events.push({
        type: 'current_state',
        operation_id: operation.operationId,
        ...(operation.operationType ? { operation_type: operation.operationType } : {}),
        status: operation.status,
        processed_files: operation.processedFiles,
        failed_files: operation.failedFiles,
        total_files: operation.totalFiles,
        progress_percent: operation.percent,
        ...(operation.currentFile ? { current_file: operation.currentFile } : {}),
        ...(operation.error ? { error: operation.error } : {}),
        ...(operation.stage ? { data: { metadata: { stage: operation.stage } } } : {}),
        ...(withTimestamps ? { timestamp: operation.updatedAt.toISOString() } : {}),
        seq,
      })
    }
    return events
  }

  /** `GET` index status, in the ontology editor's vocabulary (which the hooks' default parser reads). */
  indexBody(): Record<string, unknown> | null {
    if (!this.index || this.index.state === 'not_indexed') return null
    return {
      project_id: this.projectId,
      branch: this.index.branch ?? null,
      status: restIndexStatus[this.index.state],
      entity_count: this.index.entityCount ?? null,
      error_message: this.index.error ?? null,
      indexed_at: this.indexedAt?.toISOString() ?? null,
      updated_at: this.index.updatedAt.toISOString(),
    }
  }

  /** `GET` operation status: the document indexer's fields plus the counters. */
  operationBody(operationId: string): Record<string, unknown> | null {
    const operation = this.operations.get(operationId)
    if (!operation) return null
    return {
      id: operation.operationId,
      project_id: this.projectId,
      type: operation.operationType ?? null,
      status: operation.status,
      stage: operation.stage ?? null,
      processed_files: operation.processedFiles,
      failed_files: operation.failedFiles,
      total_files: operation.totalFiles,
      current_file: operation.currentFile ?? null,
      percent: operation.percent,
      error_message: operation.error ?? null,
      updated_at: operation.updatedAt.toISOString(),
    }
  }
}
