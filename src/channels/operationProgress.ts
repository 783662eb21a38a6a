import { run } from '../sync/validate'
import type { EventSchema } from '../transport/types'
import { indexEventTypes, operationEventSchema, operationEventTypes, restOperationSchema, type OperationEvent } from './schemas'
import { builtInChannel, defineChannel } from '../sync/defineChannel'
import { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { liveStatusKeys } from '../sync/queryKeys'
import { compact, maxDefined, serverTime } from '../sync/values'

/** Where an operation is: `pending` → `processing` → one of the three ends, never backwards. */
export type OperationStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'

/** An operation's progress, as `useOperationProgress` returns it. */
export interface OperationProgress {
  operationId: string
  /** `index`, `append`, `reindex`, `remove_source`, … as the server names it. */
  operationType?: string
  status: OperationStatus
  /** The worker stage: `scanning`, `embedding`, `processing`, `preflight`, `staging`, `reprocessing`, `validation`, `removing`. */
  stage?: string
  processedFiles: number
  failedFiles: number
  totalFiles: number
  currentFile?: string
  /** 0–100; never goes backwards. */
  percent: number
  message?: string
  error?: string
  /** When it last changed: the server's timestamp when it sent one, else when it was received here. For display. */
  updatedAt: Date
  /** The latest timestamp the server itself gave (events or REST); what ordering decisions compare. */
  serverUpdatedAt?: Date
}

/** Which operation `useOperationProgress` and `operationProgressOptions` follow. */
export interface OperationProgressParams {
  operationId: string
  /** With the default endpoints, operations of a project share the project's socket. */
  projectId?: string
  /** Turns the REST status body into fields of `OperationProgress`. @default the channel's (`parseOperationStatus` for the reference server) */
  parse?: (body: unknown, params: OperationProgressParams) => Partial<OperationProgress>
}

export { operationEventSchema, operationEventTypes, type OperationEvent }

const statusWords: Record<string, OperationStatus> = {
  pending: 'pending',
  queued: 'pending',
  created: 'pending',
  processing: 'processing',
  running: 'processing',
  in_progress: 'processing',
  started: 'processing',
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  succeeded: 'completed',
  done: 'completed',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
}

/**
 * The status a backend's word names, case-insensitively (`RUNNING`, `in_progress`, `succeeded`,
 * `canceled`, … — the table above), or `undefined`: for a REST `parse` of your own.
 */
export const toOperationStatus = (value: unknown): OperationStatus | undefined => {
  // Own words only: `"constructor"` or `"__proto__"` from a server must not read the prototype's.
  const word = typeof value === 'string' ? value.toLowerCase() : ''
  return Object.hasOwn(statusWords, word) ? statusWords[word] : undefined
}

/** @internal A count: a finite number ≥ 0 (`Number.isFinite` is false for anything not a number). */
export const num = (value: unknown): number | undefined => (Number.isFinite(value) && (value as number) >= 0 ? (value as number) : undefined)
/** @internal A non-empty string. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)

/** An operation only moves forward: pending → processing → an end, and an end is final (nothing ranks above it). */
const statusRank: Record<OperationStatus, number> = { pending: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 }

export const isTerminalStatus = (status: OperationStatus | undefined) => statusRank[status!] === 2

/** The mutable copy one flush folds its events into; finalised once, keys in the progress's order. */
interface OperationDraft {
  operationId: string
  status: OperationStatus
  processedFiles: number
  failedFiles: number
  totalFiles: number
  percent: number
  updatedAt: undefined
  operationType: string | undefined
  stage: string | undefined
  currentFile: string | undefined
  message: string | undefined
  error: string | undefined
  serverUpdatedAt: undefined
  /** The last server timestamp seen, raw: parsed once per flush, not once per event. */
  timestamp: string | number | undefined
}

// ---- what one event says ---------------------------------------------------------------------

/**
 * What a stage event means: the stage; the percent reached on entering it (documented weights);
 * the part of the operation's percent that the stage's own progress covers (its percent and its
 * counts run 0–100 within `span`; default the whole 0–100); whether it ends the operation.
 */
export interface StageInfo {
  stage: string
  percent?: number
  span?: readonly [from: number, to: number]
  done?: true
}

/**
 * What one event says, as a vocabulary reads it: the reducer folds every backend's events the same
 * way. The reference protocol's reader is here; a dialect's (stage tables, other field names, an
 * envelope) is made by `createOperationChannel` in `operationVocabulary.ts`, which only apps that
 * import a dialect pay for.
 */
export interface EventReading {
  processed: number | undefined
  failed: number | undefined
  /** Items done in any way, skipped ones included. */
  done?: number | undefined
  total: number | undefined
  /** The current stage's own percent. */
  stagePercent: number | undefined
  /** The whole operation's percent. */
  operationPercent?: number | undefined
  /** What the event's type means as a stage. */
  stage?: StageInfo | undefined
  /** A stage the event names in its body. */
  stageName?: string | undefined
  /** The status the event states in words (for `operation_completed`, its flat `status` comes first). */
  status: OperationStatus | undefined
  operationType: string | undefined
  currentFile: string | undefined
  /** A message in the event's body, which comes before the flat one. */
  bodyMessage?: string | undefined
}

/** Reads one event of a vocabulary. */
export type EventReader = (event: OperationEvent) => EventReading

/**
 * The reference protocol, read by name: a keyed read through a variable name costs about ten times
 * as much per event, and this runs for every event. What the protocol never says (stages, an
 * envelope) is left out rather than written as `undefined`: every app carries this reader.
 */
const readReference: EventReader = (e) => ({
  processed: num(e.processed_files),
  failed: num(e.failed_files),
  total: num(e.total_files),
  stagePercent: num(e.progress_percent),
  status: toOperationStatus(e.type === 'file_processing' ? undefined : e.status),
  operationType: str(e.operation_type),
  currentFile: str(e.current_file),
})

const wholeOperation: readonly [number, number] = [0, 100]

/**
 * The operation's percent this event implies, if any: the stage's own percent placed in its span,
 * else the whole operation's percent, else the counts over the total (in the span), else the
 * weight of the stage it enters.
 */
function percentOf(counters: EventReading, stage: StageInfo | undefined, d: OperationDraft): number | undefined {
  // Indexed reads, no closure: this runs for every event.
  const span = stage?.span ?? wholeOperation
  const from = span[0]
  const width = span[1] - from
  if (counters.stagePercent !== undefined) return from + Math.min(1, counters.stagePercent / 100) * width
  if (counters.operationPercent !== undefined) return counters.operationPercent
  const counted = counters.processed !== undefined || counters.failed !== undefined || counters.done !== undefined
  if (counted && d.totalFiles > 0) return from + Math.min(1, Math.max(d.processedFiles + d.failedFiles, counters.done ?? 0) / d.totalFiles) * width
  return stage?.percent
}

/**
 * What `error` says when an operation failed and no source (event or REST) gave a reason. It is
 * only ever written at the end (`finaliseOperation`, `mergeOperation`): the draft keeps `error`
 * undefined until a real message arrives, so a real message from any source replaces it, and it
 * never replaces a real one. Compared by value, so it stays a placeholder when it comes back
 * (the reference server echoes what its reducer wrote).
 */
export const OPERATION_FAILED_PLACEHOLDER = 'Operation failed'

/** The stage a cancel request shows until the server answers with the operation's end. */
export const CANCELLING_STAGE = 'cancelling'

/** The stage a cancel request showed ends with the operation, however it ended. */
const withoutCancelling = (status: OperationStatus, stage: string | undefined) => (stage === CANCELLING_STAGE && isTerminalStatus(status) ? undefined : stage)

/** A real failure message, or undefined for none (or the placeholder). */
const realError = (value: unknown): string | undefined => {
  const message = str(value)
  return message === OPERATION_FAILED_PLACEHOLDER ? undefined : message
}

/**
 * The failure message an event carries, if any: flat, inside `data`, or its `message` when the event
 * says the operation failed (an error event, or one that states `failed`: the document indexer's
 * `operation_completed` and `status_update` carry the reason there).
 */
function errorMessageOf(event: OperationEvent, isFailure: boolean): string | undefined {
  const body: NonNullable<OperationEvent['data']> & { error?: unknown } = event.data ?? {}
  return (
    realError(event.error) ??
    realError(event.error_message) ??
    realError(body.error_message) ??
    realError(body.error) ??
    (isFailure ? (realError(event.message) ?? realError(body.message)) : undefined)
  )
}

function draftOf(data: OperationProgress | undefined, operationId: string): OperationDraft {
  const from: Partial<OperationProgress> = data ?? {}
  return {
    operationId: from.operationId ?? operationId,
    status: from.status ?? 'pending',
    processedFiles: from.processedFiles ?? 0,
    failedFiles: from.failedFiles ?? 0,
    totalFiles: from.totalFiles ?? 0,
    percent: from.percent ?? 0,
    updatedAt: undefined,
    operationType: from.operationType,
    stage: from.stage,
    currentFile: from.currentFile,
    message: from.message,
    error: realError(from.error),
    serverUpdatedAt: undefined,
    timestamp: undefined,
  }
}

/** Folds one event, as its vocabulary read it, into the draft. */
function applyOperationEvent(d: OperationDraft, event: OperationEvent, r: EventReading): void {
  const stageInfo = r.stage
  const finished = isTerminalStatus(d.status)

  // Counters, from whichever field this dialect uses; never backwards. Here and below, what is
  // undefined compares false: it changes nothing.
  if (r.processed! > d.processedFiles) d.processedFiles = r.processed!
  if (r.failed! > d.failedFiles) d.failedFiles = r.failed!
  if (r.total! > d.totalFiles) d.totalFiles = r.total!

  // Status: explicit words first, then what the event type implies; never backwards.
  let status = r.status
  if (event.type === 'operation_completed') status = toOperationStatus(event.status) ?? r.status ?? 'completed'
  else if (event.type === 'operation_failed' || event.type === 'error') status = 'failed'
  else if (event.type === 'operation_cancelled') status = 'cancelled'
  else if (stageInfo?.done) status = 'completed'
  else if (!status && event.type !== 'current_state') status = 'processing'
  if (statusRank[status!] > statusRank[d.status]) d.status = status!

  // Percent: never backwards.
  const percent = percentOf(r, stageInfo, d)
  if (percent! > d.percent) d.percent = Math.min(100, percent!)

  d.stage = withoutCancelling(d.status, finished ? d.stage : (stageInfo?.stage ?? r.stageName ?? d.stage))
  d.operationType = r.operationType ?? d.operationType
  d.currentFile = r.currentFile ?? d.currentFile
  d.message = (event.type === 'error' ? undefined : (r.bodyMessage ?? str(event.message))) ?? d.message
  // A failure's reason, from whichever event carries it (before or after the terminal one): the
  // first real message of a finished operation stays; until then the placeholder is not stored.
  if (d.status === 'failed' && (!finished || d.error === undefined)) d.error = errorMessageOf(event, status === 'failed') ?? d.error
  if (event.timestamp !== undefined) d.timestamp = event.timestamp
}

function finaliseOperation(
  d: OperationDraft,
  data: OperationProgress | undefined,
  context: { now: number },
): OperationProgress {
  const serverAt = serverTime(d.timestamp)
  const previous = data?.serverUpdatedAt
  return compact({
    ...d,
    percent: d.status === 'completed' ? 100 : d.percent,
    updatedAt: new Date(serverAt ?? context.now),
    error: d.status === 'failed' ? (d.error ?? OPERATION_FAILED_PLACEHOLDER) : d.error,
    serverUpdatedAt: serverAt === undefined ? previous && new Date(previous) : previous?.getTime()! > serverAt ? previous : new Date(serverAt),
    timestamp: undefined,
  })
}

type ReduceOperationContext = { params: { operationId: string }; now: number; scratch: Record<string, unknown> }

/**
 * The reducers of a vocabulary, given its reader. They fold the events of one flush into the
 * progress in one mutable draft, finalised once. Counters and percent never decrease, the status
 * only moves forward, and a finished operation stays finished whatever late event arrives.
 */
export function operationReducers(read: EventReader = readReference) {
  const reduceMany = (data: OperationProgress | undefined, events: readonly OperationEvent[], context: ReduceOperationContext): OperationProgress | undefined => {
    if (events.length === 0) return data
    const draft = draftOf(data, context.params.operationId)
    for (const event of events) applyOperationEvent(draft, event, read(event))
    return finaliseOperation(draft, data, context)
  }
  const reduce = (data: OperationProgress | undefined, event: OperationEvent, context: ReduceOperationContext): OperationProgress => reduceMany(data, [event], context)!
  return { reduce, reduceMany }
}

const reference = operationReducers()
/** Folds the events of one flush of the reference protocol into the progress (see `operationReducers`). */
export const reduceOperations = reference.reduceMany
/** Folds one event of the reference protocol into the progress (see `operationReducers`). */
export const reduceOperation = reference.reduce

// How to fix it, for developers: production builds keep what failed and drop the advice (issue #20 item 5).
const notUnderstood = (detail: string) =>
  new Error(`[live-status] Operation status response not understood: ${detail}.${process.env.NODE_ENV !== 'production' ? ' Pass `parse` to useOperationProgress for this backend.' : ''}`)

/** The reference server's `GET /api/operations/{id}` body (snake_case; the document indexer's `/api/v2/operations/{id}` reads the same). */
export function parseOperationStatus(body: unknown): Partial<OperationProgress> {
  const result = run(restOperationSchema, body)
  if (result.issues) {
    const issue = result.issues[0]
    throw notUnderstood(`${issue?.path.join('.') || '(root)'}: ${issue?.message}`)
  }
  const rest = result.value
  const status = toOperationStatus(rest.status)
  // The value itself is not shown: a backend (or a proxy) that echoes the token there would put it
  // in the error. The words it knows are for developers (issue #20 item 5).
  if (!status) throw notUnderstood(process.env.NODE_ENV !== 'production' ? `status is none of ${Object.keys(statusWords).join(', ')}` : 'status')
  const at = serverTime(rest.updated_at ?? rest.completed_at ?? rest.started_at ?? rest.created_at)
  return compact({
    operationType: rest.operation_type ?? rest.type ?? undefined,
    status,
    stage: rest.stage ?? undefined,
    processedFiles: rest.processed_files ?? undefined,
    failedFiles: rest.failed_files ?? undefined,
    totalFiles: rest.total_files ?? undefined,
    currentFile: rest.current_file ?? undefined,
    percent: rest.percent ?? rest.progress ?? undefined,
    error: rest.error_message ?? undefined,
    updatedAt: new Date(at ?? Date.now()),
    serverUpdatedAt: at === undefined ? undefined : new Date(at),
  })
}

/** A REST body's percent; without one, the counts over the total, as events without one are read. */
const percentOfRest = (fetched: Partial<OperationProgress>) => {
  // A parse of the app's own is not validated: what is not a finite count reads as none.
  const of = num(fetched.totalFiles)
  const done = (num(fetched.processedFiles) ?? 0) + (num(fetched.failedFiles) ?? 0)
  return num(fetched.percent) ?? (of && done ? Math.min(100, (done / of) * 100) : 0)
}

/**
 * REST knows the status; the socket knows the counters. Counters and percent keep their maximum,
 * and the status only moves forward (pending → processing → an end): a REST answer that has not
 * caught up with the socket does not undo what the socket said. No clock is compared.
 */
export function mergeOperation(previous: OperationProgress | undefined, fetched: Partial<OperationProgress>, operationId: string): OperationProgress {
  if (!previous) {
    return compact({
      processedFiles: 0,
      failedFiles: 0,
      totalFiles: 0,
      ...fetched,
      error: fetched.status === 'failed' ? (realError(fetched.error) ?? OPERATION_FAILED_PLACEHOLDER) : fetched.error,
      operationId,
      status: fetched.status ?? 'pending',
      percent: fetched.status === 'completed' ? 100 : percentOfRest(fetched),
      updatedAt: fetched.updatedAt ?? new Date(),
    } as OperationProgress)
  }
  const forward = statusRank[fetched.status!] > statusRank[previous.status]
  const status = forward ? fetched.status! : previous.status
  // REST counted further than the socket said: its stage is the newer one too.
  const ahead = forward || (num(fetched.processedFiles) ?? 0) + (num(fetched.failedFiles) ?? 0) > previous.processedFiles + previous.failedFiles
  const serverAt = maxDefined(previous.serverUpdatedAt?.getTime(), fetched.serverUpdatedAt?.getTime())
  return compact({
    ...previous,
    operationType: previous.operationType ?? fetched.operationType,
    stage: withoutCancelling(status, ahead || previous.stage === undefined ? (fetched.stage ?? previous.stage) : previous.stage),
    currentFile: previous.currentFile ?? fetched.currentFile,
    // A real message from either side replaces the placeholder; the socket's comes first.
    error: status === 'failed' ? (realError(previous.error) ?? realError(fetched.error) ?? OPERATION_FAILED_PLACEHOLDER) : previous.error,
    operationId,
    status,
    processedFiles: maxDefined(previous.processedFiles, fetched.processedFiles) ?? 0,
    failedFiles: maxDefined(previous.failedFiles, fetched.failedFiles) ?? 0,
    totalFiles: maxDefined(previous.totalFiles, fetched.totalFiles) ?? 0,
    // REST's own counts, when it gives no percent: the socket's counts are already in what was shown
    // (a dialect's stage weights may place them anywhere in the operation's percent).
    percent: status === 'completed' ? 100 : Math.max(previous.percent, percentOfRest(fetched)),
    updatedAt: forward && fetched.updatedAt ? fetched.updatedAt : previous.updatedAt,
    serverUpdatedAt: Number.isFinite(serverAt) ? new Date(serverAt!) : undefined,
  })
}

const operationIdOf = (event: OperationEvent): string | undefined => {
  // A vocabulary's schema may output a numeric id (`{"job":{"id":7}}`): it names operation "7". One
  // past 2^53 lost its digits in JSON.parse already (two ids may read the same): it names none.
  const id: unknown = event.operation_id ?? event.data?.operation_id
  return typeof id === 'number' ? (Number.isSafeInteger(id) ? String(id) : '') : ((id as string | undefined) ?? undefined)
}

/**
 * An operation channel from a vocabulary's reducers, validator and REST parser. Every variant keeps
 * the name `operation` and the query keys, so `useOperationProgress` reads a dialect's (made by
 * `createOperationChannel`) when the provider has that dialect.
 */
export function operationChannel(
  { reduce, reduceMany }: ReturnType<typeof operationReducers>,
  schema: EventSchema<OperationEvent>,
  parseDefault: (body: unknown) => Partial<OperationProgress>,
) {
  return defineChannel<OperationProgressParams, OperationEvent, OperationProgress>({
    name: 'operation',
    queryKey: ({ operationId }) => liveStatusKeys.operation(operationId),
    socket: (client, { operationId, projectId }) => client.endpoints.operationSocket(operationId, { projectId }),
    schema,
    // Servers fan a user's operations out to every operation socket: the id decides, wherever it is.
    route: { params: (params) => params.operationId, event: operationIdOf },
    matches: (event, params, { dedicatedSocket }) => {
      const id = operationIdOf(event)
      return id !== undefined ? id === params.operationId : dedicatedSocket
    },
    reduce,
    reduceMany,
    fetch: async ({ client, params, signal, previous, reportEnded }) => {
      const body = await client.getJson(client.endpoints.operationStatus(params.operationId), { signal })
      const fetched = params.parse ? params.parse(body, params) : parseDefault(body)
      // The merge keeps the socket's end: whether REST itself has it is only known here.
      reportEnded?.(isTerminalStatus(fetched.status))
      return mergeOperation(previous, fetched, params.operationId)
    },
    isActive: (data) => data !== undefined && !isTerminalStatus(data.status),
    isTerminal: (data) => isTerminalStatus(data?.status),
  })
}

/** The operation channel that `useOperationProgress` is built on: the reference server's protocol. */
export const operationProgressChannel = builtInChannel({
  ...operationChannel(reference, operationEventSchema, parseOperationStatus),
  // The project's socket carries its index events too: a page without `useIndexStatus` ignores them.
  knownTypes: indexEventTypes,
})

/**
 * `useQuery` / `prefetchQuery` options of an operation's progress, outside React (a server that
 * prefetches before `HydrationBoundary`, a loader). `getQueryData(queryKey)` is typed.
 */
export function operationProgressOptions(
  client: LiveStatusClient,
  params: OperationProgressParams,
  options?: Parameters<typeof liveQueryOptions>[3],
): LiveQueryOptionsResult<OperationProgress> {
  return liveQueryOptions(client, operationProgressChannel, params, options)
}
