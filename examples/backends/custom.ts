/**
 * Your own backend: any protocol mapped with `defineChannel`. Here a CI server whose socket
 * `/ci/pipelines/{id}` sends `{"kind": "stage", "pipeline": "…", "stage": "…", "state": "…"}` and
 * `{"kind": "finished", "pipeline": "…", "ok": true}`, and whose REST route gives the pipeline.
 */
import { z } from 'zod'
import { defineChannel, withReducer, type LiveStatusClientOptions } from '../../src'

export const pipelineEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stage'), pipeline: z.string(), stage: z.string(), state: z.enum(['running', 'passed', 'failed']) }),
  z.object({ kind: z.literal('finished'), pipeline: z.string(), ok: z.boolean() }),
])
export type PipelineEvent = z.infer<typeof pipelineEventSchema>

export interface Pipeline {
  status: 'running' | 'passed' | 'failed'
  stages: Record<string, 'running' | 'passed' | 'failed'>
}

export const pipelineChannel = defineChannel<{ pipelineId: string }, PipelineEvent, Pipeline>({
  name: 'ci-pipeline',
  queryKey: ({ pipelineId }) => ['ci', 'pipeline', pipelineId],
  // One socket per pipeline; a shared one would set `route` so events find their query by id.
  socket: (_client, { pipelineId }) => `/ci/pipelines/${encodeURIComponent(pipelineId)}`,
  schema: pipelineEventSchema,
  discriminator: 'kind',
  matches: (event, { pipelineId }) => event.pipeline === pipelineId,
  reduce: (data, event) => {
    const base: Pipeline = data ?? { status: 'running', stages: {} }
    if (event.kind === 'finished') return { ...base, status: event.ok ? 'passed' : 'failed' }
    return { ...base, stages: { ...base.stages, [event.stage]: event.state } }
  },
  fetch: async ({ client, params, signal }) => (await client.getJson(`/ci/api/pipelines/${encodeURIComponent(params.pipelineId)}`, { signal })) as Pipeline,
  isActive: (data) => data?.status === 'running',
  isTerminal: (data) => data?.status === 'passed' || data?.status === 'failed',
  // Subscribe once the socket is open (and again after a reconnect: a new socket is a new session).
  onOpen: ({ send, params }) => void send({ subscribe: params.pipelineId }),
})

/** A built-in or custom channel with one event handled differently, without forking it. */
export const pipelineWithoutFlakes = withReducer(pipelineChannel, (data, event, context, builtIn) =>
  event.kind === 'stage' && event.stage === 'flaky-e2e' && event.state === 'failed' ? data : builtIn(data, event, context),
)

export function ciOptions(apiUrl: string): LiveStatusClientOptions {
  return { apiUrl, wsUrl: apiUrl.replace(/^http/, 'ws'), discriminator: 'kind', auth: { type: 'message', message: (token) => ({ kind: 'auth', token }) } }
}
