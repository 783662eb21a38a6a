/**
 * OntoKit (ontology editor): a project-scoped index socket with `?token=`, its REST status route
 * (404 until the first index exists) and its reindex trigger. See docs/backends.md.
 */
import { z } from 'zod'
import {
  ConnectionStatus,
  defineChannel,
  LiveStatusProvider,
  useIndexStatus,
  useLiveQuery,
  useReindex,
  type LiveStatusClientOptions,
} from '../../src'
import { ontologyEditor } from '../../src/dialects/ontologyEditor'

const project = (projectId: string) => `/api/v1/projects/${encodeURIComponent(projectId)}`

/** Everything OntoKit needs is its dialect; the token is the provider's `accessToken`. */
export function ontokitOptions(apiUrl: string): LiveStatusClientOptions {
  return { apiUrl, dialect: ontologyEditor }
}

/** The lint socket has the index socket's shape: a channel of its own. */
export const lintEventSchema = z.object({
  type: z.enum(['lint_started', 'lint_complete', 'lint_failed']),
  project_id: z.string(),
  issue_count: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
})
export type LintEvent = z.infer<typeof lintEventSchema>
export interface LintRun {
  state: 'idle' | 'running' | 'complete' | 'failed'
  issueCount?: number
  error?: string
}

export const lintChannel = defineChannel<{ projectId: string }, LintEvent, LintRun>({
  name: 'ontokit-lint',
  queryKey: ({ projectId }) => ['ontokit', 'lint', projectId],
  socket: (_client, { projectId }) => `${project(projectId)}/ontology/lint-ws`,
  schema: lintEventSchema,
  matches: (event, { projectId }) => event.project_id === projectId,
  reduce: (_data, event) =>
    event.type === 'lint_started'
      ? { state: 'running' }
      : event.type === 'lint_complete'
        ? { state: 'complete', issueCount: event.issue_count }
        : { state: 'failed', error: event.error ?? 'Lint failed' },
  // The REST side: the latest run (404 before the first one).
  fetch: async ({ client, params, signal, previous }) => {
    const body = (await client.getJson(`${project(params.projectId)}/ontology/lint-status`, { signal, allow404: true })) as { status?: string; issue_count?: number } | null
    if (!body) return previous ?? { state: 'idle' }
    const state = body.status === 'running' ? 'running' : body.status === 'failed' ? 'failed' : 'complete'
    return { state, issueCount: body.issue_count }
  },
  isActive: (data) => data?.state === 'running',
  isTerminal: (data) => data?.state === 'complete' || data?.state === 'failed',
})

export function OntologyIndex({ projectId }: { projectId: string }) {
  const { data, isOutOfSync } = useIndexStatus(projectId, { branch: 'main' })
  const reindex = useReindex({ projectId, branch: 'main' })
  const lint = useLiveQuery(lintChannel, { projectId })
  return (
    <section>
      <ConnectionStatus target={{ projectId }} />
      <p>
        Index: {data?.state ?? '…'} {data?.entityCount ?? ''} {isOutOfSync ? '(out of date)' : ''}
      </p>
      <button onClick={() => reindex.mutate({})} disabled={reindex.isPending}>
        Reindex
      </button>
      <p>Lint: {lint.data?.state ?? '…'}</p>
    </section>
  )
}

export function OntokitApp({ accessToken }: { accessToken: string | undefined }) {
  return (
    <LiveStatusProvider {...ontokitOptions('https://ontokit.example.com')} accessToken={accessToken}>
      <OntologyIndex projectId="p1" />
    </LiveStatusProvider>
  )
}
