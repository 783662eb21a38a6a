import { z } from 'zod'
import { defineChannel } from '../defineChannel'
import { liveStatusKeys } from '../queryKeys'
import { compact, maxDefined, toDate } from '../values'

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
  updatedAt: Date
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

/** Stage events and the stage (and for REINDEX, the documented progress weight) they mean. */
const stages: Partial<Record<OperationEvent['type'], { stage: string; percent?: number; done?: true }>> = {
  scanning_documents: { stage: 'scanning' },
  scanning_completed: { stage: 'scanning' },
  processing_embeddings: { stage: 'embedding' },
  document_processed: { stage: 'processing' },
  index_completed: { stage: 'completed', done: true },
  append_completed: { stage: 'completed', done: true },
  reindex_preflight: { stage: 'preflight', percent: 10 },
  staging_created: { stage: 'staging', percent: 20 },
  reprocessing_progress: { stage: 'reprocessing', percent: 20 },
  validation_complete: { stage: 'validation', percent: 90 },
  reindex_completed: { stage: 'completed', percent: 100, done: true },
  removing_documents: { stage: 'removing' },
  remove_source_completed: { stage: 'completed', done: true },
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined)
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)

interface RateSample {
  t: number
  done: number
}

/**
 * Folds one event of either dialect into the progress. Counters and percent never decrease, and a
 * finished operation stays finished whatever late event arrives.
 */
export function reduceOperation(
  data: OperationProgress | undefined,
  event: OperationEvent,
  context: { params: { operationId: string }; now: number; scratch: Record<string, unknown> },
): OperationProgress {
  const { params, now, scratch } = context
  const base: OperationProgress = data ?? {
    operationId: params.operationId,
    status: 'pending',
    processedFiles: 0,
    failedFiles: 0,
    totalFiles: 0,
    percent: 0,
    updatedAt: new Date(now),
  }
  const meta = (event.data?.metadata ?? {}) as Record<string, unknown>
  const stageInfo = stages[event.type]

  // Counters, from whichever field this dialect uses.
  const processed = num(event.processed_files) ?? num(event.processed) ?? num(meta.processed_files) ?? num(meta.processed)
  const failed = num(event.failed_files) ?? num(event.failed) ?? num(meta.failed_files) ?? num(meta.failed)
  const total = num(event.total_files) ?? num(event.total) ?? num(event.total_files_found) ?? num(meta.total_files) ?? num(meta.total)

  // Status: explicit words first, then what the event type implies.
  let status =
    toOperationStatus(event.data?.status) ??
    toOperationStatus(event.type === 'file_processing' ? undefined : event.status) ??
    toOperationStatus(meta.status)
  if (event.type === 'operation_completed') status = toOperationStatus(event.status) ?? 'completed'
  else if (event.type === 'operation_failed' || event.type === 'error') status = 'failed'
  else if (event.type === 'operation_cancelled') status = 'cancelled'
  else if (stageInfo?.done) status = 'completed'
  else if (!status && event.type !== 'current_state') status = 'processing'

  const finished = isTerminalStatus(base.status)
  const nextStatus: OperationStatus = finished ? base.status : (status ?? base.status)

  const processedFiles = maxDefined(base.processedFiles, processed) ?? 0
  const failedFiles = maxDefined(base.failedFiles, failed) ?? 0
  const totalFiles = maxDefined(base.totalFiles, total) ?? 0

  // Percent: the explicit figure, else counts, else the stage weight; never backwards.
  let percent = num(event.progress_percent) ?? num(event.data?.progress) ?? num(meta.progress)
  if (percent === undefined && totalFiles > 0 && (processed !== undefined || failed !== undefined)) {
    const fraction = Math.min(1, (processedFiles + failedFiles) / totalFiles)
    // REINDEX's documented weights: staging ends at 20, reprocessing at 70.
    percent = event.type === 'reprocessing_progress' ? 20 + fraction * 50 : fraction * 100
  }
  if (percent === undefined && stageInfo?.percent !== undefined) percent = stageInfo.percent
  if (nextStatus === 'completed') percent = 100
  const nextPercent = Math.min(100, Math.max(base.percent, percent ?? 0))

  const error =
    nextStatus === 'failed'
      ? (str(event.error) ?? str(event.error_message) ?? (event.type === 'error' || event.type === 'operation_failed' ? str(event.message) : undefined) ?? base.error ?? 'Operation failed')
      : base.error

  const next: OperationProgress = compact({
    ...base,
    operationType: str(event.operation_type) ?? str(meta.operation_type) ?? base.operationType,
    status: nextStatus,
    stage: finished ? base.stage : (stageInfo?.stage ?? str(meta.stage) ?? base.stage),
    processedFiles,
    failedFiles,
    totalFiles,
    currentFile: str(event.current_file) ?? str(meta.current_file) ?? base.currentFile,
    percent: nextPercent,
    message: str(event.data?.message) ?? (event.type === 'error' ? undefined : str(event.message)) ?? base.message,
    error,
    updatedAt: toDate(event.timestamp, new Date(now)),
  })
  next.etaMs = isTerminalStatus(next.status) ? undefined : estimateEta(scratch, now, next)
  return compact(next)
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
    updatedAt: toDate(rest.updated_at ?? rest.completed_at ?? rest.started_at ?? rest.created_at, new Date()),
  })
}

/**
 * REST knows the status; the socket knows the counters. Counters and percent keep their maximum,
 * and a live terminal state is not undone by a REST answer that has not caught up yet.
 */
export function mergeOperation(previous: OperationProgress | undefined, fetched: Partial<OperationProgress>, operationId: string): OperationProgress {
  const prev: OperationProgress = previous ?? {
    operationId,
    status: 'pending',
    processedFiles: 0,
    failedFiles: 0,
    totalFiles: 0,
    percent: 0,
    updatedAt: new Date(0),
  }
  const status = isTerminalStatus(prev.status) ? prev.status : (fetched.status ?? prev.status)
  return compact({
    ...prev,
    ...fetched,
    operationId,
    status,
    processedFiles: maxDefined(prev.processedFiles, fetched.processedFiles) ?? 0,
    failedFiles: maxDefined(prev.failedFiles, fetched.failedFiles) ?? 0,
    totalFiles: maxDefined(prev.totalFiles, fetched.totalFiles) ?? 0,
    percent: status === 'completed' ? 100 : Math.max(prev.percent, fetched.percent ?? 0),
    etaMs: isTerminalStatus(status) ? undefined : prev.etaMs,
    updatedAt: fetched.updatedAt && fetched.updatedAt > prev.updatedAt ? fetched.updatedAt : prev.updatedAt,
  })
}

/** The operation channel that `useOperationProgress` is built on. */
export const operationProgressChannel = defineChannel<OperationProgressParams, OperationEvent, OperationProgress>({
  name: 'operation',
  queryKey: ({ operationId }) => liveStatusKeys.operation(operationId),
  socket: (client, { operationId, projectId }) => client.endpoints.operationSocket(operationId, { projectId }),
  schema: operationEventSchema,
  matches: (event, params, { dedicatedSocket }) =>
    event.operation_id !== undefined ? event.operation_id === params.operationId : dedicatedSocket,
  reduce: reduceOperation,
  fetch: async ({ client, params, signal, previous }) => {
    const body = await client.getJson(client.endpoints.operationStatus(params.operationId), { signal })
    return mergeOperation(previous, (params.parse ?? parseOperationStatus)(body, params), params.operationId)
  },
  isActive: (data) => data !== undefined && !isTerminalStatus(data.status),
  isTerminal: (data) => isTerminalStatus(data?.status),
})
