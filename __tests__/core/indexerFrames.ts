/**
 * Recorded frames of the document indexer's worker, one operation of each type, as its current
 * server code sends them: the enveloped dialect with the counters directly inside `data` and the
 * operation id in `data.operation_id` (added by its progress updater).
 */

export const OP = '6f1c1c9e-op'

/** One frame per line, as the server sends them (`{"timestamp","type","data":{…,"operation_id"}}`). */
const frames = (lines: string) =>
  lines
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line.trim().replaceAll('$OP', OP)) as Record<string, unknown>)

/**
 * APPEND on its default parallel path: the total is announced by `scanning_completed` (and
 * `processing_embeddings`), then `processing_progress` every 10 documents carries counts without
 * a total. `collection_stats` is not an operation event.
 */
export const appendFrames = frames(`
  {"timestamp":"2026-01-21T10:00:00+00:00","type":"operation_started","data":{"status":"processing","type":"append","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:01+00:00","type":"scanning_documents","data":{"status":"scanning","source":"/data/contracts","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:04+00:00","type":"scanning_completed","data":{"status":"scanning_completed","total_files_found":40,"new_documents_registered":40,"documents_updated":0,"unchanged_documents_skipped":0,"errors_count":0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:04+00:00","type":"collection_stats","data":{"stats":{"document_count":40,"vector_count":0,"total_size_bytes":9120331},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:05+00:00","type":"processing_embeddings","data":{"status":"generating_embeddings","documents_to_process":40,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:20+00:00","type":"processing_progress","data":{"processed":10,"failed":0,"skipped":0,"vectors_created":412,"total_processed":10,"stats":{"document_count":40,"vector_count":412,"total_size_bytes":9120331},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:36+00:00","type":"processing_progress","data":{"processed":20,"failed":1,"skipped":0,"vectors_created":830,"total_processed":21,"stats":{"document_count":40,"vector_count":830,"total_size_bytes":9120331},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:00:51+00:00","type":"processing_progress","data":{"processed":30,"failed":1,"skipped":1,"vectors_created":1240,"total_processed":32,"stats":{"document_count":40,"vector_count":1240,"total_size_bytes":9120331},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:01:02+00:00","type":"append_completed","data":{"source":"/data/contracts","source_type":"directory","documents_added":40,"documents_updated":0,"total_files_scanned":40,"unchanged_skipped":0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T10:01:02+00:00","type":"operation_completed","data":{"status":"completed","operation_id":"$OP","collection_id":"c1","result":{"success":true}}}
`)

/** REMOVE_SOURCE: `removing_documents {removed, total, progress_percent}` per batch of 100. */
export const removeSourceFrames = frames(`
  {"timestamp":"2026-01-21T11:00:00+00:00","type":"operation_started","data":{"status":"processing","type":"remove_source","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T11:00:02+00:00","type":"removing_documents","data":{"removed":100,"total":250,"progress_percent":40.0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T11:00:04+00:00","type":"removing_documents","data":{"removed":200,"total":250,"progress_percent":80.0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T11:00:05+00:00","type":"removing_documents","data":{"removed":250,"total":250,"progress_percent":100.0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T11:00:06+00:00","type":"remove_source_completed","data":{"source_path":"/data/old","documents_removed":250,"vectors_removed":250,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T11:00:06+00:00","type":"operation_completed","data":{"status":"completed","operation_id":"$OP","collection_id":"c1","result":{"success":true}}}
`)

/** REINDEX: `progress_percent` of `reprocessing_progress` is the reprocessing stage's own (0–100). */
export const reindexFrames = frames(`
  {"timestamp":"2026-01-21T12:00:00+00:00","type":"operation_started","data":{"status":"processing","type":"reindex","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:00:01+00:00","type":"reindex_preflight","data":{"status":"preflight_complete","documents_to_process":30,"current_vector_count":1200,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:00:03+00:00","type":"staging_created","data":{"staging_collection":"col_c1_staging","vector_dim":1024,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:00:30+00:00","type":"reprocessing_progress","data":{"processed":10,"total":30,"failed":0,"progress_percent":33.33333333333333,"vectors_created":400,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:01:00+00:00","type":"reprocessing_progress","data":{"processed":20,"total":30,"failed":0,"progress_percent":66.66666666666666,"vectors_created":800,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:01:30+00:00","type":"reprocessing_progress","data":{"processed":30,"total":30,"failed":0,"progress_percent":100.0,"vectors_created":1200,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:01:40+00:00","type":"validation_complete","data":{"validation_passed":true,"validation_duration":2.1,"sample_size":10,"validation_warnings":[],"validation_details":{},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:01:45+00:00","type":"reindex_completed","data":{"old_collections":["col_c1"],"new_collection":"col_c1_staging","documents_processed":30,"vectors_created":1200,"duration":105.0,"cleanup_scheduled":true,"cleanup_task_id":"t1","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T12:01:45+00:00","type":"operation_completed","data":{"status":"completed","operation_id":"$OP","collection_id":"c1","result":{"success":true}}}
`)

/**
 * INDEX in the documented stage order (scanning → embeddings → document_processed… →
 * index_completed), in the same envelope. (The current upstream INDEX task only creates the
 * collection: operation_started → index_completed → operation_completed, nothing to count.)
 */
export const indexFrames = frames(`
  {"timestamp":"2026-01-21T09:00:00+00:00","type":"operation_started","data":{"status":"processing","type":"index","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:01+00:00","type":"scanning_documents","data":{"status":"scanning","source":"/data/all","operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:03+00:00","type":"scanning_completed","data":{"status":"scanning_completed","total_files_found":4,"new_documents_registered":4,"documents_updated":0,"unchanged_documents_skipped":0,"errors_count":0,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:03+00:00","type":"processing_embeddings","data":{"status":"generating_embeddings","documents_to_process":4,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:09+00:00","type":"document_processed","data":{"processed":1,"failed":0,"total":4,"current_document":"/data/all/a.pdf","stats":{"document_count":4,"vector_count":40,"total_size_bytes":81234},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:14+00:00","type":"document_processed","data":{"processed":2,"failed":0,"total":4,"current_document":"/data/all/b.pdf","stats":{"document_count":4,"vector_count":80,"total_size_bytes":81234},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:18+00:00","type":"document_processed","data":{"processed":2,"failed":1,"total":4,"current_document":"/data/all/c.pdf","stats":{"document_count":4,"vector_count":80,"total_size_bytes":81234},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:25+00:00","type":"document_processed","data":{"processed":3,"failed":1,"total":4,"current_document":"/data/all/d.pdf","stats":{"document_count":4,"vector_count":120,"total_size_bytes":81234},"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:26+00:00","type":"index_completed","data":{"qdrant_collection":"col_c1","vector_dim":1024,"operation_id":"$OP","collection_id":"c1"}}
  {"timestamp":"2026-01-21T09:00:26+00:00","type":"operation_completed","data":{"status":"completed","operation_id":"$OP","collection_id":"c1","result":{"success":true}}}
`)
