import { z } from 'zod'
import { defineChannel } from '../sync/defineChannel'
import { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { liveStatusKeys } from '../sync/queryKeys'
import { compact, maxDefined, serverTime } from '../sync/values'

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
  /** Estimated time left, from the observed rate, once there is enough of it. */
  etaMs?: number
  /** When it last changed: the server's timestamp when it sent one, else when it was received here. For display. */
  updatedAt: Date
  /** The latest timestamp the server itself gave (events or REST); what ordering decisions compare. */
  serverUpdatedAt?: Date
}

export interface OperationProgressParams {
  operationId: string
  /** With the default endpoints, operations of a project share the project's socket. */
  projectId?: string
  /** Turns the REST status body into fields of `OperationProgress`. @default parseOperationStatus (document indexer) */
  parse?: (body: unknown, params: OperationProgressParams) => Partial<OperationProgress>
}

/** Every event type of the document indexer's two dialects (and the reference server's). */
export const operationEventTypes = [
  'current_state',
  'operation_started',
  'operation_progress',
  'file_processing',
  'file_completed',
  'operation_completed',
  'operation_failed',
  'operation_cancelled',
  'error',
  'status_update',
  'progress',
  'scanning_documents',
  'scanning_completed',
  'processing_embeddings',
  'document_processed',
  'processing_progress',
  'index_completed',
  'append_completed',
  'reindex_preflight',
  'staging_created',
  'reprocessing_progress',
  'validation_complete',
  'reindex_completed',
  'removing_documents',
  'remove_source_completed',
] as const

const count = z.number().finite().nonnegative()
const text = z.string().nullish()

/** Tolerant of both dialects: flat fields, and the `{ type, data: { status, progress, message, metadata } }` envelope. */
export const operationEventSchema = z.looseObject({
  type: z.enum(operationEventTypes),
  operation_id: z.string().optional(),
  operation_type: z.string().nullish(),
  status: z.string().nullish(),
  message: text,
  error: text,
  error_message: text,
  total_files: count.nullish(),
  processed_files: count.nullish(),
  failed_files: count.nullish(),
  current_file: text,
  processed: count.nullish(),
  failed: count.nullish(),
  total: count.nullish(),
  progress_percent: count.nullish(),
  total_files_found: count.nullish(),
  source_path: text,
  seq: z.number().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  data: z
    .looseObject({
      status: z.string().nullish(),
      progress: count.nullish(),
      message: text,
      metadata: z.record(z.string(), z.unknown()).nullish(),
      operation_id: z.string().nullish(),
      operation_type: text,
      error_message: text,
      current_file: text,
      processed: count.nullish(),
      failed: count.nullish(),
      total: count.nullish(),
    })
    .nullish(),
})
export type OperationEvent = z.infer<typeof operationEventSchema>

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

export const toOperationStatus = (value: unknown): OperationStatus | undefined =>
  typeof value === 'string' ? statusWords[value.toLowerCase()] : undefined

export const isTerminalStatus = (status: OperationStatus | undefined) =>
  status === 'completed' || status === 'failed' || status === 'cancelled'

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined)
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)

/** An operation only moves forward: pending → processing → an end, and an end is final. */
const statusRank: Record<OperationStatus, number> = { pending: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 }

interface RateSample {
  t: number
  done: number
}

/** The mutable copy one flush folds its events into; finalised once. */
interface OperationDraft {
  operationId: string
  operationType: string | undefined
  status: OperationStatus
  stage: string | undefined
  processedFiles: number
  failedFiles: number
  totalFiles: number
  currentFile: string | undefined
  percent: number
  message: string | undefined
  error: string | undefined
  /** The last server timestamp seen, raw: parsed once per flush, not once per event. */
  timestamp: string | number | undefined
  changed: boolean
}

const emptyMeta: Record<string, unknown> = {}

// ---- the document indexer's vocabulary: stage table and counter readers ------------------------

/**
 * What a stage event means: the stage; the percent reached on entering it (REINDEX's documented
 * weights); the part of the operation's percent that the stage's own progress covers (its
 * `progress_percent` and its counts run 0–100 within `span`; default the whole 0–100); whether it
 * ends the operation.
 */
interface StageInfo {
  stage: string
  percent?: number
  span?: readonly [from: number, to: number]
  done?: true
}

/** Stage events of the document indexer's worker, by event type. */
const stages: Partial<Record<OperationEvent['type'], StageInfo>> = {
  scanning_documents: { stage: 'scanning' },
  scanning_completed: { stage: 'scanning' },
  processing_embeddings: { stage: 'embedding' },
  document_processed: { stage: 'processing' },
  // APPEND's per-document event in the indexer's current server, counters inside `data`.
  processing_progress: { stage: 'processing' },
  index_completed: { stage: 'completed', done: true },
  append_completed: { stage: 'completed', done: true },
  reindex_preflight: { stage: 'preflight', percent: 10 },
  staging_created: { stage: 'staging', percent: 20 },
  // Documented weights: staging ends at 20, reprocessing at 70.
  reprocessing_progress: { stage: 'reprocessing', percent: 20, span: [20, 70] },
  validation_complete: { stage: 'validation', percent: 90 },
  reindex_completed: { stage: 'completed', percent: 100, done: true },
  removing_documents: { stage: 'removing' },
  remove_source_completed: { stage: 'completed', done: true },
}

const wholeOperation: readonly [number, number] = [0, 100]

/**
 * Where each counter may be, by field name. Read flat on the event, then inside `data`, then in
 * `data.metadata` (see `readCount`); the first one found wins.
 */
const counterFields = {
  processed: ['processed_files', 'processed', 'removed'],
  failed: ['failed_files', 'failed'],
  /** Documents done in any way, skipped ones included (APPEND's parallel path: `total_processed`). */
  done: ['total_processed'],
  /** Totals, the ones announced before the counts included (`scanning_completed`, `processing_embeddings`, `reindex_preflight`). */
  total: ['total_files', 'total', 'total_files_found', 'documents_to_process'],
  /** The stage's own percent (`removing_documents`, `reprocessing_progress`, `document_processed`). */
  stagePercent: ['progress_percent'],
  /** The enveloped dialect's percent of the whole operation (`data.progress`, `data.metadata.progress`); not read flat. */
  operationPercent: ['progress'],
  currentFile: ['current_file', 'current_document'],
  operationType: ['operation_type'],
} as const

type Fields = Record<string, unknown> | null | undefined

/** The first finite, non-negative number found under `names`, source by source. */
function readCount(sources: readonly Fields[], names: readonly string[]): number | undefined {
  for (const source of sources) {
    if (!source) continue
    for (const name of names) {
      const value = num(source[name])
      if (value !== undefined) return value
    }
  }
  return undefined
}

/** The first non-empty string found under `names`, source by source. */
function readText(sources: readonly Fields[], names: readonly string[]): string | undefined {
  for (const source of sources) {
    if (!source) continue
    for (const name of names) {
      const value = str(source[name])
      if (value !== undefined) return value
    }
  }
  return undefined
}

/** The counters one event carries, wherever its dialect puts them. */
interface EventCounters {
  processed: number | undefined
  failed: number | undefined
  done: number | undefined
  total: number | undefined
  stagePercent: number | undefined
  operationPercent: number | undefined
}

function readCounters(event: OperationEvent, body: Fields, meta: Fields): EventCounters {
  const everywhere = [event, body, meta]
  return {
    processed: readCount(everywhere, counterFields.processed),
    failed: readCount(everywhere, counterFields.failed),
    done: readCount(everywhere, counterFields.done),
    total: readCount(everywhere, counterFields.total),
    stagePercent: readCount(everywhere, counterFields.stagePercent),
    operationPercent: readCount([body, meta], counterFields.operationPercent),
  }
}

/**
 * The operation's percent this event implies, if any: the stage's own percent placed in its span,
 * else the whole operation's percent, else the counts over the total (in the span), else the
 * weight of the stage it enters.
 */
function percentOf(counters: EventCounters, stage: StageInfo | undefined, d: OperationDraft): number | undefined {
  const [from, to] = stage?.span ?? wholeOperation
  const within = (fraction: number) => from + Math.min(1, fraction) * (to - from)
  if (counters.stagePercent !== undefined) return within(counters.stagePercent / 100)
  if (counters.operationPercent !== undefined) return counters.operationPercent
  const counted = counters.processed !== undefined || counters.failed !== undefined || counters.done !== undefined
  if (counted && d.totalFiles > 0) return within(Math.max(d.processedFiles + d.failedFiles, counters.done ?? 0) / d.totalFiles)
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

/** A real failure message, or undefined for none (or the placeholder). */
const realError = (value: unknown): string | undefined => {
  const message = str(value)
  return message === OPERATION_FAILED_PLACEHOLDER ? undefined : message
}

/** The failure message an event carries, if any: flat, inside `data`, or (error events) its `message`. */
function errorMessageOf(event: OperationEvent): string | undefined {
  const body = event.data as (NonNullable<OperationEvent['data']> & { error?: unknown }) | null | undefined
  const isErrorEvent = event.type === 'error' || event.type === 'operation_failed'
  return (
    realError(event.error) ??
    realError(event.error_message) ??
    realError(body?.error_message) ??
    realError(body?.error) ??
    (isErrorEvent ? (realError(event.message) ?? realError(body?.message)) : undefined)
  )
}

function draftOf(data: OperationProgress | undefined, operationId: string): OperationDraft {
  return {
    operationId: data?.operationId ?? operationId,
    operationType: data?.operationType,
    status: data?.status ?? 'pending',
    stage: data?.stage,
    processedFiles: data?.processedFiles ?? 0,
    failedFiles: data?.failedFiles ?? 0,
    totalFiles: data?.totalFiles ?? 0,
    currentFile: data?.currentFile,
    percent: data?.percent ?? 0,
    message: data?.message,
    error: realError(data?.error),
    timestamp: undefined,
    changed: data === undefined,
  }
}

/** Folds one event of either dialect into the draft. */
function applyOperationEvent(d: OperationDraft, event: OperationEvent): void {
  const body = event.data
  const meta = (body?.metadata ?? emptyMeta) as Record<string, unknown>
  const stageInfo = stages[event.type]
  const finished = isTerminalStatus(d.status)
  d.changed = true

  // Counters, from whichever field this dialect uses; never backwards.
  const counters = readCounters(event, body, meta)
  if (counters.processed !== undefined && counters.processed > d.processedFiles) d.processedFiles = counters.processed
  if (counters.failed !== undefined && counters.failed > d.failedFiles) d.failedFiles = counters.failed
  if (counters.total !== undefined && counters.total > d.totalFiles) d.totalFiles = counters.total

  // Status: explicit words first, then what the event type implies; never backwards.
  let status =
    toOperationStatus(body?.status) ?? toOperationStatus(event.type === 'file_processing' ? undefined : event.status) ?? toOperationStatus(meta.status)
  if (event.type === 'operation_completed') status = toOperationStatus(event.status) ?? toOperationStatus(body?.status) ?? 'completed'
  else if (event.type === 'operation_failed' || event.type === 'error') status = 'failed'
  else if (event.type === 'operation_cancelled') status = 'cancelled'
  else if (stageInfo?.done) status = 'completed'
  else if (!status && event.type !== 'current_state') status = 'processing'
  if (!finished && status !== undefined && statusRank[status] > statusRank[d.status]) d.status = status

  // Percent: never backwards.
  const percent = percentOf(counters, stageInfo, d)
  if (percent !== undefined && percent > d.percent) d.percent = Math.min(100, percent)

  if (!finished) d.stage = stageInfo?.stage ?? str(meta.stage) ?? d.stage
  d.operationType =
    readText([event, body, meta], counterFields.operationType) ??
    // The indexer's `operation_started` names it `data.type`.
    (event.type === 'operation_started' ? str((body as Fields)?.type) : undefined) ??
    d.operationType
  d.currentFile = readText([event, body, meta], counterFields.currentFile) ?? d.currentFile
  d.message = (event.type === 'error' ? undefined : (str(body?.message) ?? str(event.message))) ?? d.message
  // A failure's reason, from whichever event carries it (before or after the terminal one): the
  // first real message of a finished operation stays; until then the placeholder is not stored.
  if (d.status === 'failed' && (!finished || d.error === undefined)) d.error = errorMessageOf(event) ?? d.error
  if (event.timestamp !== undefined) d.timestamp = event.timestamp
}

function finaliseOperation(
  d: OperationDraft,
  data: OperationProgress | undefined,
  context: { now: number; scratch: Record<string, unknown> },
): OperationProgress {
  const terminal = isTerminalStatus(d.status)
  const serverAt = d.timestamp === undefined ? undefined : serverTime(d.timestamp)
  const out: OperationProgress = {
    operationId: d.operationId,
    status: d.status,
    processedFiles: d.processedFiles,
    failedFiles: d.failedFiles,
    totalFiles: d.totalFiles,
    percent: d.status === 'completed' ? 100 : d.percent,
    updatedAt: serverAt !== undefined ? new Date(serverAt) : new Date(context.now),
  }
  if (d.operationType !== undefined) out.operationType = d.operationType
  if (d.stage !== undefined) out.stage = d.stage
  if (d.currentFile !== undefined) out.currentFile = d.currentFile
  if (d.message !== undefined) out.message = d.message
  if (d.status === 'failed') out.error = d.error ?? OPERATION_FAILED_PLACEHOLDER
  else if (d.error !== undefined) out.error = d.error
  const known = serverAt ?? data?.serverUpdatedAt?.getTime()
  if (known !== undefined) out.serverUpdatedAt = serverAt !== undefined && data?.serverUpdatedAt && data.serverUpdatedAt.getTime() > serverAt ? data.serverUpdatedAt : new Date(known)
  if (!terminal) {
    const eta = estimateEta(context.scratch, context.now, out)
    if (eta !== undefined) out.etaMs = eta
  }
  return out
}

/**
 * Folds the events of one flush into the progress, in one mutable draft finalised once. Counters
 * and percent never decrease, the status only moves forward, and a finished operation stays
 * finished whatever late event arrives.
 */
export function reduceOperations(
  data: OperationProgress | undefined,
  events: readonly OperationEvent[],
  context: { params: { operationId: string }; now: number; scratch: Record<string, unknown> },
): OperationProgress | undefined {
  if (events.length === 0) return data
  const draft = draftOf(data, context.params.operationId)
  for (const event of events) applyOperationEvent(draft, event)
  return finaliseOperation(draft, data, context)
}

/** Folds one event of either dialect into the progress (see `reduceOperations`). */
export function reduceOperation(
  data: OperationProgress | undefined,
  event: OperationEvent,
  context: { params: { operationId: string }; now: number; scratch: Record<string, unknown> },
): OperationProgress {
  return reduceOperations(data, [event], context)!
}

/**
 * Remaining time from the rate seen since the first progress we observed. "Enough of it": at least
 * two files done since then and one second elapsed, so a single burst does not promise a wild ETA.
 */
function estimateEta(scratch: Record<string, unknown>, now: number, progress: OperationProgress): number | undefined {
  const done = progress.processedFiles + progress.failedFiles
  if (progress.totalFiles <= 0) return undefined
  const first = scratch.firstSample as RateSample | undefined
  if (!first) {
    scratch.firstSample = { t: now, done }
    return undefined
  }
  const elapsed = now - first.t
  const progressed = done - first.done
  if (progressed < 2 || elapsed < 1000) return undefined
  const remaining = Math.max(0, progress.totalFiles - done)
  return Math.round((remaining * elapsed) / progressed)
}

const restOperationSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().nullish(),
  operation_type: z.string().nullish(),
  status: z.string(),
  error_message: z.string().nullish(),
  processed_files: count.nullish(),
  failed_files: count.nullish(),
  total_files: count.nullish(),
  current_file: z.string().nullish(),
  stage: z.string().nullish(),
  progress: count.nullish(),
  percent: count.nullish(),
  updated_at: z.union([z.string(), z.number()]).nullish(),
  completed_at: z.union([z.string(), z.number()]).nullish(),
  started_at: z.union([z.string(), z.number()]).nullish(),
  created_at: z.union([z.string(), z.number()]).nullish(),
})

/** The default REST parser: the document indexer's `GET /api/v2/operations/{id}` (the reference server adds counters). */
export function parseOperationStatus(body: unknown): Partial<OperationProgress> {
  const result = restOperationSchema.safeParse(body)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Error(`[live-status] Operation status response not understood: ${issue?.path.join('.') || '(root)'}: ${issue?.message}. Pass \`parse\` to useOperationProgress for this backend.`)
  }
  const rest = result.data
  const status = toOperationStatus(rest.status)
  if (!status) throw new Error(`[live-status] Unknown operation status "${rest.status}" in the REST response.`)
  const stamp = rest.updated_at ?? rest.completed_at ?? rest.started_at ?? rest.created_at
  const at = serverTime(stamp)
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
    updatedAt: at === undefined ? new Date() : new Date(at),
    serverUpdatedAt: at === undefined ? undefined : new Date(at),
  })
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
      percent: fetched.status === 'completed' ? 100 : (fetched.percent ?? 0),
      updatedAt: fetched.updatedAt ?? new Date(),
    } as OperationProgress)
  }
  const forward = fetched.status !== undefined && !isTerminalStatus(previous.status) && statusRank[fetched.status] > statusRank[previous.status]
  const status = forward ? fetched.status! : previous.status
  const serverAt = Math.max(previous.serverUpdatedAt?.getTime() ?? -Infinity, fetched.serverUpdatedAt?.getTime() ?? -Infinity)
  return compact({
    ...previous,
    operationType: previous.operationType ?? fetched.operationType,
    stage: forward || previous.stage === undefined ? (fetched.stage ?? previous.stage) : previous.stage,
    currentFile: previous.currentFile ?? fetched.currentFile,
    // A real message from either side replaces the placeholder; the socket's comes first.
    error: status === 'failed' ? (realError(previous.error) ?? realError(fetched.error) ?? OPERATION_FAILED_PLACEHOLDER) : previous.error,
    operationId,
    status,
    processedFiles: maxDefined(previous.processedFiles, fetched.processedFiles) ?? 0,
    failedFiles: maxDefined(previous.failedFiles, fetched.failedFiles) ?? 0,
    totalFiles: maxDefined(previous.totalFiles, fetched.totalFiles) ?? 0,
    percent: status === 'completed' ? 100 : Math.max(previous.percent, fetched.percent ?? 0),
    etaMs: isTerminalStatus(status) ? undefined : previous.etaMs,
    updatedAt: forward && fetched.updatedAt ? fetched.updatedAt : previous.updatedAt,
    serverUpdatedAt: Number.isFinite(serverAt) ? new Date(serverAt) : undefined,
  })
}

const operationIdOf = (event: OperationEvent): string | undefined => event.operation_id ?? event.data?.operation_id ?? undefined

/** The operation channel that `useOperationProgress` is built on. */
export const operationProgressChannel = defineChannel<OperationProgressParams, OperationEvent, OperationProgress>({
  name: 'operation',
  queryKey: ({ operationId }) => liveStatusKeys.operation(operationId),
  socket: (client, { operationId, projectId }) => client.endpoints.operationSocket(operationId, { projectId }),
  schema: operationEventSchema,
  // Servers fan a user's operations out to every operation socket: the id decides, wherever it is.
  route: { params: (params) => params.operationId, event: operationIdOf },
  matches: (event, params, { dedicatedSocket }) => {
    const id = operationIdOf(event)
    return id !== undefined ? id === params.operationId : dedicatedSocket
  },
  reduce: reduceOperation,
  reduceMany: reduceOperations,
  fetch: async ({ client, params, signal, previous, reportEnded }) => {
    const body = await client.getJson(client.endpoints.operationStatus(params.operationId), { signal })
    const fetched = (params.parse ?? parseOperationStatus)(body, params)
    // The merge keeps the socket's end: whether REST itself has it is only known here.
    reportEnded?.(isTerminalStatus(fetched.status))
    return mergeOperation(previous, fetched, params.operationId)
  },
  isActive: (data) => data !== undefined && !isTerminalStatus(data.status),
  isTerminal: (data) => isTerminalStatus(data?.status),
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
