/**
 * Your own backend, from scratch: the dialect of a (fictional) CI server, as docs/backends.md
 * builds it step by step. Tested against a real `ws` server in
 * __tests__/integration/pipelineDialect.ws.test.ts.
 *
 * The CI server:
 * - REST `GET /api/ci/pipelines/{id}` (Bearer) → `{ id, status, steps_done, steps_total, artifacts }`,
 *   written by a history worker a moment after the socket announced the end (REST lags the socket);
 * - socket `/ci/ws/pipelines/{id}`: one pipeline, its events name no pipeline;
 * - socket `/ci/ws/projects/{project}`: every pipeline of a project, each event with `pipeline_id`;
 * - auth: a first message `{"type": "hello", "token": …}`; close 4001 = token refused, 4004 = no such
 *   pipeline, 1008 = too many sockets (retry later);
 * - never answers `{"type": "ping"}`; answers `{"type": "whoami"}` with `{"type": "whoami", "user": …}`;
 * - sends console output as binary frames on the same sockets.
 */
import { z } from 'zod'
import { defineChannel, type Dialect } from '../../src/core'
import { jsonInBinaryFrames } from '../../src/transport'

const segment = encodeURIComponent

// ---- 1. Where things are -----------------------------------------------------------------------

/** One pipeline's socket: what it sends is about that pipeline, with or without `pipeline_id`. */
export const pipelineSocket = (id: string) => `/ci/ws/pipelines/${segment(id)}`
/** A project's socket, shared by all its pipelines: events name theirs in `pipeline_id`. */
export const projectSocket = (project: string) => `/ci/ws/projects/${segment(project)}`
/** The pipeline's REST record. */
export const pipelineStatus = (id: string) => `/api/ci/pipelines/${segment(id)}`

// ---- 2. The connection: auth, close codes, keep-alive ------------------------------------------

/** The keep-alive: the server never answers `{type: 'ping'}`, so ping with a request it answers. */
export const ciHeartbeat = { message: { type: 'whoami' }, intervalMs: 25_000, timeoutMs: 10_000 }

/** The CI server's dialect: connection options only (its pipelines have a channel of their own, below). */
export const ciPipelines: Dialect = {
  name: 'ci-pipelines',
  options: {
    // The token in a first message, never in the URL (proxies log URLs).
    auth: { type: 'message', message: (token) => ({ type: 'hello', token }) },
    // 4001: token refused, wait for a new one. 1008 is "too many sockets" here: not listed, so it
    // backs off and retries like any other close.
    authCloseCodes: [4001],
    // The defaults (1003, 1007, 1009, 1010) and 4004, "no such pipeline": retrying cannot help.
    fatalCloseCodes: [1003, 1007, 1009, 1010, 4004],
    heartbeat: ciHeartbeat,
    // The answer to our ping proves the socket alive: consumed, never validated or reported.
    controlTypes: ['ping', 'pong', 'heartbeat', 'whoami'],
    // Its events come as text frames, its job records as JSON in binary frames (console output too).
    binaryFrames: jsonInBinaryFrames,
  },
}

// ---- 3. The channel ----------------------------------------------------------------------------

/** The socket events; any Standard Schema validator fits (zod 4 here). */
export const pipelineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pipeline_started'), pipeline_id: z.string().optional(), steps_total: z.number().int().nonnegative() }),
  z.object({ type: z.literal('step_finished'), pipeline_id: z.string().optional(), step: z.string(), steps_done: z.number().int().nonnegative() }),
  z.object({ type: z.literal('pipeline_finished'), pipeline_id: z.string().optional(), status: z.enum(['passed', 'failed', 'canceled']) }),
])
export type PipelineEvent = z.infer<typeof pipelineEventSchema>

/** The REST record. */
export const pipelineRecordSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'passed', 'failed', 'canceled']),
  steps_done: z.number().int().nonnegative(),
  steps_total: z.number().int().nonnegative(),
  artifacts: z.array(z.string()).nullish(),
})

export type PipelineStatus = z.infer<typeof pipelineRecordSchema>['status']

/** A pipeline as the cache holds it. */
export interface Pipeline {
  id: string
  status: PipelineStatus
  stepsDone: number
  stepsTotal: number
  lastStep?: string
  /** REST only: what the run produced, once REST has its end. */
  artifacts?: string[]
}

/**
 * `project` given: the project's shared socket. Without it: the pipeline's own socket. The job's
 * id is named `id` (or `operationId`, `scanId`, `projectId`): the client finds a dedicated socket
 * by asking `socket` for another value of the first of these the params have.
 */
export interface PipelineParams {
  id: string
  project?: string
}

const isFinished = (status: PipelineStatus | undefined) => status === 'passed' || status === 'failed' || status === 'canceled'
/** A pipeline only moves forward: queued → running → an end, and an end is final. */
const rank: Record<PipelineStatus, number> = { queued: 0, running: 1, passed: 2, failed: 2, canceled: 2 }

/** REST's record against what the cache held: counters keep their maximum, the status only moves forward. */
export function mergePipeline(previous: Pipeline | undefined, fetched: Pipeline): Pipeline {
  if (!previous) return fetched
  const status = rank[fetched.status] > rank[previous.status] ? fetched.status : previous.status
  const merged: Pipeline = {
    ...previous,
    status,
    stepsDone: Math.max(previous.stepsDone, fetched.stepsDone),
    stepsTotal: Math.max(previous.stepsTotal, fetched.stepsTotal),
  }
  const artifacts = fetched.artifacts ?? previous.artifacts
  if (artifacts) merged.artifacts = artifacts
  return merged
}

export const pipelineChannel = defineChannel<PipelineParams, PipelineEvent, Pipeline>({
  name: 'ci-pipeline',
  queryKey: ({ id }) => ['ci', 'pipeline', id],
  socket: (_client, { id, project }) => (project ? projectSocket(project) : pipelineSocket(id)),
  schema: pipelineEventSchema,
  // On the shared socket each event goes to the query of the pipeline it names; an event that
  // names none goes to every query of the socket, and `matches` decides.
  route: { params: ({ id }) => id, event: (event) => event.pipeline_id },
  // No id: about this pipeline on its own socket; on the project's socket nobody can tell whose.
  matches: (event, { id }, { dedicatedSocket }) => (event.pipeline_id === undefined ? dedicatedSocket : event.pipeline_id === id),
  reduce: (data, event, { params }) => {
    const base: Pipeline = data ?? { id: params.id, status: 'queued', stepsDone: 0, stepsTotal: 0 }
    if (isFinished(base.status)) return base
    switch (event.type) {
      case 'pipeline_started':
        return { ...base, status: 'running', stepsTotal: Math.max(base.stepsTotal, event.steps_total) }
      case 'step_finished':
        return { ...base, status: 'running', stepsDone: Math.max(base.stepsDone, event.steps_done), lastStep: event.step }
      case 'pipeline_finished':
        return { ...base, status: event.status }
    }
  },
  fetch: async ({ client, params, signal, previous, reportEnded }) => {
    const record = pipelineRecordSchema.parse(await client.getJson(pipelineStatus(params.id), { signal }))
    const fetched: Pipeline = { id: record.id, status: record.status, stepsDone: record.steps_done, stepsTotal: record.steps_total }
    if (record.artifacts) fetched.artifacts = record.artifacts
    // REST's own view, before the merge keeps the socket's end: until it says "ended", the client
    // asks again (1, 2, 4, 8, 8, 8 s apart).
    reportEnded?.(isFinished(record.status))
    return mergePipeline(previous, fetched)
  },
  isActive: (data) => data?.status === 'queued' || data?.status === 'running',
  isTerminal: (data) => isFinished(data?.status),
})
