/**
 * The built-in channels' event and REST schemas, on the package's own validators (sync/validate), so
 * an app does not carry a schema library for them. Each type is written out, not inferred: it is
 * the public contract, and `Schema<T>` makes the compiler hold each validator to it.
 */
// Every module-level schema is built by a call marked pure: an app whose channels do not use a
// schema (the typical import uses the operation channel's alone) then drops it (358 B min+gzip).
import { array, count, integer, is, looseObject, nullish, number, oneOf, optional, record, string, unknown, withDefault, type Schema } from '../sync/validate'

/** A server timestamp: ISO text or epoch milliseconds. */
const stamp: Schema<string | number> = /* @__PURE__ */ is((value) => typeof value == 'string' || Number.isFinite(value), 'string or number')
const text = /* @__PURE__ */ nullish(string)
const counter = /* @__PURE__ */ nullish(count)

// ---- operations ----

/**
 * The operation events of the reference server's protocol (docs/server.md): the documented flat
 * dialect. A backend with more (stage events, an envelope) extends it in its dialect module.
 */
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
] as const

/** An operation event of either dialect: flat fields, or the `{ type, data: { status, progress, message, metadata } }` envelope. */
export interface OperationEvent {
  [key: string]: unknown
  /** One of the channel's vocabulary: the reference types, and a dialect's. */
  type: string
  /** A number (a vocabulary's schema output) names the operation of its digits while it is a safe integer. */
  operation_id?: string | number | undefined
  operation_type?: string | null | undefined
  status?: string | null | undefined
  message?: string | null | undefined
  error?: string | null | undefined
  error_message?: string | null | undefined
  total_files?: number | null | undefined
  processed_files?: number | null | undefined
  failed_files?: number | null | undefined
  current_file?: string | null | undefined
  processed?: number | null | undefined
  failed?: number | null | undefined
  total?: number | null | undefined
  progress_percent?: number | null | undefined
  total_files_found?: number | null | undefined
  source_path?: string | null | undefined
  seq?: number | undefined
  timestamp?: string | number | undefined
  data?: OperationEventData | null | undefined
}

/** The envelope dialect's `data`. */
export interface OperationEventData {
  [key: string]: unknown
  status?: string | null | undefined
  progress?: number | null | undefined
  message?: string | null | undefined
  metadata?: Record<string, unknown> | null | undefined
  operation_id?: string | number | null | undefined
  operation_type?: string | null | undefined
  error_message?: string | null | undefined
  current_file?: string | null | undefined
  processed?: number | null | undefined
  failed?: number | null | undefined
  total?: number | null | undefined
}

/** The event schema for a vocabulary of event types: flat fields, and a `data` envelope for the dialects that send one. */
export const operationSchemaFor = (types: readonly string[]): Schema<OperationEvent> =>
  looseObject({
  type: oneOf(types),
  operation_id: optional(string),
  operation_type: text,
  status: text,
  message: text,
  error: text,
  error_message: text,
  total_files: counter,
  processed_files: counter,
  failed_files: counter,
  current_file: text,
  processed: counter,
  failed: counter,
  total: counter,
  progress_percent: counter,
  total_files_found: counter,
  source_path: text,
  seq: optional(number),
  timestamp: optional(stamp),
  data: nullish(
    looseObject({
      status: text,
      progress: counter,
      message: text,
      metadata: nullish(record),
      operation_id: text,
      operation_type: text,
      error_message: text,
      current_file: text,
      processed: counter,
      failed: counter,
      total: counter,
    }),
  ),
})

/** Events of the reference protocol. */
export const operationEventSchema = /* @__PURE__ */ operationSchemaFor(operationEventTypes)

/** The reference server's `GET /api/operations/{id}` body (the document indexer's `/api/v2/operations/{id}` is the same without counters). */
export interface RestOperation {
  [key: string]: unknown
  id?: string | undefined
  type?: string | null | undefined
  operation_type?: string | null | undefined
  status: string
  error_message?: string | null | undefined
  processed_files?: number | null | undefined
  failed_files?: number | null | undefined
  total_files?: number | null | undefined
  current_file?: string | null | undefined
  stage?: string | null | undefined
  progress?: number | null | undefined
  percent?: number | null | undefined
  updated_at?: string | number | null | undefined
  completed_at?: string | number | null | undefined
  started_at?: string | number | null | undefined
  created_at?: string | number | null | undefined
}

export const restOperationSchema: Schema<RestOperation> = /* @__PURE__ */ looseObject({
  id: /* @__PURE__ */ optional(string),
  type: text,
  operation_type: text,
  status: string,
  error_message: text,
  processed_files: counter,
  failed_files: counter,
  total_files: counter,
  current_file: text,
  stage: text,
  progress: counter,
  percent: counter,
  updated_at: /* @__PURE__ */ nullish(stamp),
  completed_at: /* @__PURE__ */ nullish(stamp),
  started_at: /* @__PURE__ */ nullish(stamp),
  created_at: /* @__PURE__ */ nullish(stamp),
})

// ---- index ----

const restIndexStates = ['not_indexed', 'pending', 'queued', 'indexing', 'ready', 'complete', 'failed'] as const
const restIndexState = /* @__PURE__ */ oneOf(restIndexStates)

/** The index events of the reference server's protocol, which it sends on a project's socket beside its operation events. */
export const indexEventTypes = ['index_queued', 'index_started', 'index_complete', 'index_failed', 'index_status'] as const

/** Index events: the ontology editor's flat dialect, plus `index_queued` and an `index_status` snapshot. */
export interface IndexEvent {
  [key: string]: unknown
  type: (typeof indexEventTypes)[number]
  project_id?: string | undefined
  branch?: string | null | undefined
  entity_count?: number | null | undefined
  error?: string | null | undefined
  /** On `index_status`: the REST vocabulary. */
  status?: (typeof restIndexStates)[number] | undefined
  seq?: number | undefined
  timestamp?: string | number | undefined
}

export const indexEventSchema: Schema<IndexEvent> = /* @__PURE__ */ looseObject({
  type: /* @__PURE__ */ oneOf(indexEventTypes),
  project_id: /* @__PURE__ */ optional(string),
  branch: text,
  entity_count: /* @__PURE__ */ nullish(integer),
  error: text,
  status: /* @__PURE__ */ optional(restIndexState),
  seq: /* @__PURE__ */ optional(number),
  timestamp: /* @__PURE__ */ optional(stamp),
})

/** The ontology editor's index status body (snake_case), which the reference server speaks too. */
export interface RestIndexStatus {
  [key: string]: unknown
  project_id?: string | undefined
  branch?: string | null | undefined
  status: (typeof restIndexStates)[number]
  entity_count?: number | null | undefined
  error_message?: string | null | undefined
  indexed_at?: string | number | null | undefined
  updated_at?: string | number | null | undefined
}

export const restIndexSchema: Schema<RestIndexStatus> = /* @__PURE__ */ looseObject({
  project_id: /* @__PURE__ */ optional(string),
  branch: text,
  status: restIndexState,
  entity_count: /* @__PURE__ */ nullish(number),
  error_message: text,
  indexed_at: /* @__PURE__ */ nullish(stamp),
  updated_at: /* @__PURE__ */ nullish(stamp),
})

// ---- directory scan ----

/** A file of a finished scan; `size` is 0 when the server leaves it out. */
export interface ScanEventFile {
  [key: string]: unknown
  path: string
  size: number
  modified?: string | number | null | undefined
  extension?: string | null | undefined
}

export const scanFileSchema: Schema<ScanEventFile> = /* @__PURE__ */ looseObject({
  path: string,
  size: /* @__PURE__ */ withDefault(count, 0),
  modified: /* @__PURE__ */ nullish(stamp),
  extension: text,
})

const files = /* @__PURE__ */ nullish(/* @__PURE__ */ array(scanFileSchema))
const warnings = /* @__PURE__ */ nullish(/* @__PURE__ */ array(unknown))

/** Both dialects of the document indexer's scan socket. */
export interface ScanEvent {
  [key: string]: unknown
  type: 'started' | 'counting' | 'progress' | 'warning' | 'completed' | 'cancelled' | 'error'
  scan_id?: string | undefined
  scanned?: number | null | undefined
  total?: number | null | undefined
  current_path?: string | null | undefined
  files?: ScanEventFile[] | null | undefined
  count?: number | null | undefined
  total_size?: number | null | undefined
  warnings?: unknown[] | null | undefined
  message?: string | null | undefined
  data?: ScanEventData | null | undefined
}

/** The envelope dialect's `data`. */
export interface ScanEventData {
  [key: string]: unknown
  files_scanned?: number | null | undefined
  total_files?: number | null | undefined
  count?: number | null | undefined
  percentage?: number | null | undefined
  current_path?: string | null | undefined
  files?: ScanEventFile[] | null | undefined
  total_size?: number | null | undefined
  warnings?: unknown[] | null | undefined
  message?: string | null | undefined
}

export const scanEventSchema: Schema<ScanEvent> = /* @__PURE__ */ looseObject({
  type: /* @__PURE__ */ oneOf(['started', 'counting', 'progress', 'warning', 'completed', 'cancelled', 'error']),
  scan_id: /* @__PURE__ */ optional(string),
  scanned: counter,
  total: counter,
  current_path: text,
  files,
  count: counter,
  total_size: counter,
  warnings,
  message: text,
  data: /* @__PURE__ */ nullish(
    /* @__PURE__ */ looseObject({
      files_scanned: counter,
      total_files: counter,
      count: counter,
      percentage: counter,
      current_path: text,
      files,
      total_size: counter,
      warnings,
      message: text,
    }),
  ),
})
