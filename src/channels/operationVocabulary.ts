import type { SchemaLike } from '../sync/standardSchema'
import { operationEventSchema, operationEventTypes, operationSchemaFor, type OperationEvent } from './schemas'
import {
  operationChannel,
  num,
  operationReducers,
  parseOperationStatus,
  str,
  toOperationStatus,
  type EventReader,
  type OperationProgress,
  type StageInfo,
} from './operationProgress'

/** Where each counter may be, by field name; the first one found wins. */
export interface CounterFields {
  processed: readonly string[]
  failed: readonly string[]
  /** Items done in any way, skipped ones included. */
  done: readonly string[]
  /** Totals, including those announced before the counts. */
  total: readonly string[]
  /** The current stage's own percent. */
  stagePercent: readonly string[]
  /** The whole operation's percent, read only inside the envelope. */
  operationPercent: readonly string[]
  currentFile: readonly string[]
  operationType: readonly string[]
}

/**
 * A backend's operation vocabulary, beyond the reference protocol: more event types, what its
 * stage events mean, where it puts its counters, and how its REST body reads. A dialect module
 * passes one to `createOperationChannel`; the reference protocol is the default.
 */
export interface OperationVocabulary {
  /** Event types accepted besides the reference ones. @default [] */
  eventTypes?: readonly string[]
  /** Stage events, by type. @default {} */
  stages?: Readonly<Record<string, StageInfo>>
  /** Counter field names, added to the reference ones. @default {} */
  fields?: Partial<CounterFields>
  /** Read fields inside `data` and `data.metadata` too (an enveloped dialect). @default false */
  envelope?: boolean
  /** Turns the REST status body into fields of `OperationProgress`. @default parseOperationStatus */
  parse?: (body: unknown) => Partial<OperationProgress>
  /**
   * Validates each message and gives the event the channel reads: for a backend whose events differ
   * in shape from the reference ones (another discriminator, the id under another name, counters in
   * a nested object), a schema that turns them into `OperationEvent`s (`type`, `operation_id`,
   * `processed_files`, …; zod's `.transform`, or any Standard Schema). The channel sees its output,
   * never the raw message; `eventTypes` is then not read. A message it refuses is reported as
   * `unknown_type` when every issue is at the hub's `discriminator`, else as `schema_mismatch`.
   * @default the reference event schema, with `eventTypes` added
   */
  schema?: SchemaLike<OperationEvent>
}

/** The reference protocol's field names. */
const referenceFields: CounterFields = {
  processed: ['processed_files'],
  failed: ['failed_files'],
  done: [],
  total: ['total_files'],
  stagePercent: ['progress_percent'],
  operationPercent: ['progress'],
  currentFile: ['current_file'],
  operationType: ['operation_type'],
}

type Fields = Record<string, unknown> | null | undefined

/** The first value `read` accepts under `names`, source by source (flat, then `data`, then `data.metadata`). */
function readFirst<T>(sources: readonly Fields[], names: readonly string[], read: (value: unknown) => T | undefined): T | undefined {
  for (const source of sources) {
    if (!source) continue
    for (const name of names) {
      const value = read(source[name])
      if (value !== undefined) return value
    }
  }
  return undefined
}

const emptyMeta: Record<string, unknown> = {}

/** The reader of a vocabulary: its stage table, its field names, its envelope if it has one. */
export function vocabularyReader(vocabulary: OperationVocabulary): EventReader {
  const fields = { ...referenceFields }
  for (const key of Object.keys(vocabulary.fields ?? {}) as (keyof CounterFields)[]) fields[key] = [...referenceFields[key], ...vocabulary.fields![key]!]
  const stages = vocabulary.stages ?? {}
  const envelope = vocabulary.envelope
  return (event: OperationEvent) => {
    // The envelope is read only where the dialect sends one.
    const body = envelope ? event.data : undefined
    const meta = (body?.metadata ?? emptyMeta) as Record<string, unknown>
    const everywhere: readonly Fields[] = body ? [event, body, meta] : [event]
    const count = (names: readonly string[]) => readFirst(everywhere, names, num)
    return {
      processed: count(fields.processed),
      failed: count(fields.failed),
      done: count(fields.done),
      total: count(fields.total),
      stagePercent: count(fields.stagePercent),
      operationPercent: body ? readFirst([body, meta], fields.operationPercent, num) : undefined,
      stage: Object.hasOwn(stages, event.type) ? stages[event.type] : undefined,
      stageName: str(meta.stage),
      status: toOperationStatus(body?.status) ?? toOperationStatus(event.type === 'file_processing' ? undefined : event.status) ?? toOperationStatus(meta.status),
      operationType:
        readFirst(everywhere, fields.operationType, str) ??
        // The indexer's `operation_started` names it `data.type`.
        (event.type === 'operation_started' ? str((body as Fields)?.type) : undefined),
      currentFile: readFirst(everywhere, fields.currentFile, str),
      bodyMessage: str(body?.message),
    }
  }
}

/**
 * An operation channel for a backend's vocabulary: its event types, stage table, field names and
 * REST parser. A dialect module makes one and lists it in its `channels`; it keeps the name
 * `operation` and the query keys, so `useOperationProgress` reads it when the provider has that
 * dialect. Only apps that import a dialect (or this) pay for reading vocabularies.
 */
export function createOperationChannel(vocabulary: OperationVocabulary = {}) {
  const extra = vocabulary.eventTypes ?? []
  return operationChannel(
    operationReducers(vocabularyReader(vocabulary)),
    vocabulary.schema ?? (extra.length === 0 ? operationEventSchema : operationSchemaFor([...operationEventTypes, ...extra])),
    vocabulary.parse ?? parseOperationStatus,
  )
}
