// The zod schemas the built-in channels had before 0.3 (copied verbatim, classic zod): the reference the hand-written validators are held to.
import { z } from 'zod'

export const operationEventTypes = [
  'current_state', 'operation_started', 'operation_progress', 'file_processing', 'file_completed', 'operation_completed',
  'operation_failed', 'operation_cancelled', 'error', 'status_update', 'progress', 'scanning_documents', 'scanning_completed',
  'processing_embeddings', 'document_processed', 'processing_progress', 'index_completed', 'append_completed', 'reindex_preflight',
  'staging_created', 'reprocessing_progress', 'validation_complete', 'reindex_completed', 'removing_documents', 'remove_source_completed',
] as const

const count = z.number().finite().nonnegative()
const text = z.string().nullish()

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

export const restOperationSchema = z.looseObject({
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

const timestamp = z.union([z.string(), z.number()]).optional()

export const indexEventSchema = z.looseObject({
  type: z.enum(['index_queued', 'index_started', 'index_complete', 'index_failed', 'index_status']),
  project_id: z.string().optional(),
  branch: z.string().nullish(),
  entity_count: z.number().int().nonnegative().nullish(),
  error: z.string().nullish(),
  status: z.enum(['not_indexed', 'pending', 'queued', 'indexing', 'ready', 'complete', 'failed']).optional(),
  seq: z.number().optional(),
  timestamp,
})

export const restIndexSchema = z.looseObject({
  project_id: z.string().optional(),
  branch: z.string().nullish(),
  status: z.enum(['not_indexed', 'pending', 'queued', 'indexing', 'ready', 'complete', 'failed']),
  entity_count: z.number().nullish(),
  error_message: z.string().nullish(),
  indexed_at: timestamp.nullable(),
  updated_at: timestamp.nullable(),
})

const scanCount = z.number().finite().nonnegative()

const fileSchema = z.looseObject({
  path: z.string(),
  size: scanCount.default(0),
  modified: z.union([z.string(), z.number()]).nullish(),
  extension: z.string().nullish(),
})

export const scanEventSchema = z.looseObject({
  type: z.enum(['started', 'counting', 'progress', 'warning', 'completed', 'cancelled', 'error']),
  scan_id: z.string().optional(),
  scanned: scanCount.nullish(),
  total: scanCount.nullish(),
  current_path: z.string().nullish(),
  files: z.array(fileSchema).nullish(),
  count: scanCount.nullish(),
  total_size: scanCount.nullish(),
  warnings: z.array(z.unknown()).nullish(),
  message: z.string().nullish(),
  data: z
    .looseObject({
      files_scanned: scanCount.nullish(),
      total_files: scanCount.nullish(),
      count: scanCount.nullish(),
      percentage: scanCount.nullish(),
      current_path: z.string().nullish(),
      files: z.array(fileSchema).nullish(),
      total_size: scanCount.nullish(),
      warnings: z.array(z.unknown()).nullish(),
      message: z.string().nullish(),
    })
    .nullish(),
})

export { fileSchema as scanFileSchema }
