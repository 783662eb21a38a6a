/** The kinds of operation the scripted scenarios play. */
export type OperationType = 'index' | 'append' | 'reindex' | 'remove_source'

type Event = Record<string, unknown> & { type: string }

/**
 * The events a worker speaking the reference protocol (docs/server.md) emits for one operation:
 * `operation_started`, a `file_completed` per file with the counters, `operation_completed`. What a
 * client without a dialect reads (the README's Quick start). Every 11th file fails. Without
 * `operation_id`: the caller adds it.
 */
export function referenceOperationEvents(type: string, totalFiles: number): Event[] {
  const events: Event[] = [{ type: 'operation_started', operation_type: type, total_files: totalFiles }]
  let failed = 0
  for (let i = 0; i < totalFiles; i++) {
    if ((i + 1) % 11 === 0) failed++
    events.push({ type: 'file_completed', current_file: `/documents/team-${(i % 12) + 1}/document-${i + 1}.pdf`, processed_files: i + 1 - failed, failed_files: failed, total_files: totalFiles })
  }
  events.push({ type: 'operation_completed', status: 'completed', processed_files: totalFiles - failed, failed_files: failed, total_files: totalFiles, message: `${type} finished` })
  return events
}

/**
 * The events a document-indexer worker emits for one operation, in order, stage by stage:
 * INDEX and APPEND in the flat dialect, REINDEX in the enveloped one, REMOVE_SOURCE with file
 * events. Every 11th file fails. Without `operation_id`: the caller adds it.
 */
export function operationEvents(type: OperationType, totalFiles: number): Event[] {
  const events: Event[] = [{ type: 'operation_started', operation_type: type, total_files: totalFiles }]
  const files = Array.from({ length: totalFiles }, (_, i) => `/documents/team-${(i % 12) + 1}/document-${i + 1}.pdf`)
  if (type === 'index' || type === 'append') {
    events.push({ type: 'scanning_documents', status: 'scanning', source_path: '/documents' })
    events.push({ type: 'scanning_completed', total_files_found: totalFiles, new_documents_registered: totalFiles, scan_duration: 0.4 })
    if (type === 'index') events.push({ type: 'processing_embeddings' })
    let failed = 0
    files.forEach((file, i) => {
      if (i % 11 === 10) failed++
      events.push({ type: 'document_processed', processed: i + 1 - failed, failed, total: totalFiles, current_file: file })
    })
    events.push({ type: type === 'index' ? 'index_completed' : 'append_completed' })
  } else if (type === 'reindex') {
    events.push({ type: 'reindex_preflight' }, { type: 'staging_created' })
    files.forEach((file, i) =>
      events.push({
        type: 'reprocessing_progress',
        data: {
          status: 'processing',
          progress: 20 + (50 * (i + 1)) / totalFiles,
          message: `reprocessing ${file}`,
          metadata: { processed_files: i + 1, total_files: totalFiles, current_file: file },
        },
      }),
    )
    events.push({ type: 'validation_complete' }, { type: 'reindex_completed' })
  } else {
    events.push({ type: 'removing_documents' })
    files.forEach((file, i) => events.push({ type: 'file_processing', current_file: file, processed_files: i + 1, total_files: totalFiles, status: 'processing' }))
    events.push({ type: 'remove_source_completed' })
  }
  events.push({ type: 'operation_completed', status: 'completed', message: `${type} finished` })
  return events
}

/** A generated directory tree for scans: 12 folders of 25 documents under `root`. */
export function generateTree(root: string) {
  const extensions = ['.pdf', '.docx', '.md', '.txt', '.html']
  const files: { path: string; size: number; modified: string; extension: string }[] = []
  for (let folder = 0; folder < 12; folder++) {
    for (let n = 0; n < 25; n++) {
      const extension = extensions[(folder + n) % extensions.length]!
      files.push({
        path: `${root}/team-${folder + 1}/document-${n + 1}${extension}`,
        size: 1000 + ((folder * 7919 + n * 104729) % 250_000),
        modified: new Date(Date.UTC(2026, folder % 12, 1 + (n % 28))).toISOString(),
        extension,
      })
    }
  }
  return files
}

/** Where a scan writes and how it waits; a `ws` socket and a mock-socket client both fit. */
export interface ScanIo {
  send: (text: string) => void
  isOpen: () => boolean
  /** Runs `run` after `ms` (a demo passes its own timer set, so shutdown clears it). @default setTimeout */
  schedule?: (run: () => void, ms: number) => void
}

/**
 * Answers one `{ action: 'scan', path, recursive }` like the document indexer: `progress` every
 * `tickMs` over the generated tree, then `completed` with the files. Returns `cancel`.
 */
export function runScan(
  request: { path?: unknown; recursive?: unknown },
  io: ScanIo,
  options: { tickMs?: number; filesPerTick?: number } = {},
): () => void {
  const { tickMs = 60, filesPerTick = 6 } = options
  const schedule = io.schedule ?? ((run: () => void, ms: number) => void setTimeout(run, ms))
  const root = String(request.path || '/documents').replace(/\/+$/, '')
  const files = request.recursive === false ? [] : generateTree(root)
  let cancelled = false
  let scanned = 0
  const tick = () => {
    if (cancelled || !io.isOpen()) return
    scanned = Math.min(files.length, scanned + filesPerTick)
    io.send(JSON.stringify({ type: 'progress', scanned, total: files.length, current_path: files[scanned - 1]?.path.replace(/\/[^/]+$/, '') ?? root }))
    if (scanned < files.length) return schedule(tick, tickMs)
    io.send(
      JSON.stringify({
        type: 'completed',
        files,
        count: files.length,
        total_size: files.reduce((sum, f) => sum + f.size, 0),
        warnings: [`${root}/restricted: permission denied`],
      }),
    )
  }
  schedule(tick, tickMs)
  return () => {
    cancelled = true
  }
}
