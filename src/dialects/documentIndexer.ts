/**
 * The document indexer (Semantik) as its current server code speaks: per-operation sockets that
 * take the token as an `access_token.<jwt>` subprotocol, a directory-scan socket that takes
 * `?token=` only, worker stage events enveloped with their counters inside `data`, server pings.
 *
 * @example
 * ```tsx
 * import { documentIndexer } from 'live-status/dialects/document-indexer'
 * <LiveStatusProvider apiUrl="https://semantik.example.com" dialect={documentIndexer} accessToken={token}>
 * ```
 */
import type { StageInfo } from '../channels/operationProgress'
import { createOperationChannel, type OperationVocabulary } from '../channels/operationVocabulary'
import type { Dialect } from '../sync/clientOptions'

const segment = encodeURIComponent

/** What each worker stage event means; REINDEX's documented weights: staging 20, reprocessing to 70, validation 90. */
const stages: Record<string, StageInfo> = {
  scanning_documents: { stage: 'scanning' },
  scanning_completed: { stage: 'scanning' },
  processing_embeddings: { stage: 'embedding' },
  document_processed: { stage: 'processing' },
  // APPEND's per-document event in the current server, counters inside `data`.
  processing_progress: { stage: 'processing' },
  index_completed: { stage: 'completed', done: true },
  append_completed: { stage: 'completed', done: true },
  reindex_preflight: { stage: 'preflight', percent: 10 },
  staging_created: { stage: 'staging', percent: 20 },
  reprocessing_progress: { stage: 'reprocessing', percent: 20, span: [20, 70] },
  validation_complete: { stage: 'validation', percent: 90 },
  reindex_completed: { stage: 'completed', percent: 100, done: true },
  removing_documents: { stage: 'removing' },
  remove_source_completed: { stage: 'completed', done: true },
}

/** The indexer's operation events beyond the reference protocol, and where its counters are. */
export const documentIndexerOperations: OperationVocabulary = {
  eventTypes: ['status_update', 'progress', ...Object.keys(stages)],
  stages,
  fields: {
    processed: ['processed', 'removed'],
    failed: ['failed'],
    // APPEND's parallel path counts skipped documents too.
    done: ['total_processed'],
    // Totals announced before the counts: scanning_completed, processing_embeddings, reindex_preflight.
    total: ['total', 'total_files_found', 'documents_to_process'],
    currentFile: ['current_document'],
  },
  envelope: true,
}

/** The operation channel in the indexer's vocabulary (what `useOperationProgress` uses under this dialect). */
export const documentIndexerOperationChannel = createOperationChannel(documentIndexerOperations)

/** The document indexer's dialect. */
export const documentIndexer: Dialect = {
  name: 'document-indexer',
  options: {
    endpoints: {
      operationSocket: (operationId) => `/ws/operations/${segment(operationId)}`,
      operationStatus: (operationId) => `/api/v2/operations/${segment(operationId)}`,
      scanSocket: (scanId) => `/ws/directory-scan/${segment(scanId)}`,
      // The scan starts over REST once its socket is open.
      scanStart: () => '/api/v2/directory-scan/preview',
    },
    // Operation sockets take the token as a subprotocol (the `?token=` form is deprecated there)…
    auth: { type: 'protocol', protocols: (token) => [`access_token.${token}`] },
    // …the directory-scan socket takes `?token=` only: offered a subprotocol it does not pick, the
    // handshake fails. One backend, two auth transports.
    endpointOptions: (url) => (url.includes('/ws/directory-scan/') ? { auth: { type: 'query', param: 'token' } } : undefined),
    // A bad token is refused before the upgrade (1006); after it, 1008 means "too many sockets"
    // (10 per user): back off and retry. REST's 401 tells a bad token.
    authCloseCodes: [4401, 4403],
  },
  channels: { operation: documentIndexerOperationChannel },
}

/**
 * The indexer's event vocabulary alone, for a server that relays its worker's events under the
 * reference server's endpoints and auth: the demo, and `live-status/testing`'s operation scripts.
 */
export const documentIndexerEvents: Dialect = {
  name: 'document-indexer-events',
  channels: documentIndexer.channels,
}
