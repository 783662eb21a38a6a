import type { QueryClient } from '@tanstack/query-core'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { liveStatusKeys } from '../sync/queryKeys'
import { sendJson } from '../sync/rest'
import { segment } from '../sync/endpoints'
import { clientOf, writeUndoable, type CommandOptions, type LiveMutationOptions, type MutationContext } from './commands'
import { compact } from '../sync/values'
import { CANCELLING_STAGE as CANCELLING, operationProgressChannel, type OperationProgress } from './operationProgress'

/** What `startOperation.mutate()` takes. */
export interface StartOperationVariables {
  /** The kind of job, as the server names it (the reference server's demo: `index`, `append`, `reindex`, `remove_source`). @default the server's */
  type?: string
  /**
   * An id proposed by the client (the reference server takes it as `operation_id`, 409 if taken):
   * the operation's row shows `pending` under its final key before the server answers.
   * @default the server picks one
   */
  operationId?: string
  /** Further fields of the request body, sent as they are. @default {} */
  input?: Record<string, unknown>
}

/** What `startOperation` resolves to. */
export interface StartedOperation {
  operationId: string
}

/** What the start mutation remembers, to take its optimistic row back. */
export interface StartOperationContext {
  /** The row it wrote, when the caller proposed an id; removed again if the start fails. @default undefined (no id proposed) */
  optimistic?: OperationProgress
}

/** What `cancelOperation.mutate()` takes. */
export interface CancelOperationVariables {
  operationId: string
  /** The operation's project, when its queries were made with one. @default undefined */
  projectId?: string
}

/** What the cancel mutation remembers: the stage it replaced with `cancelling`. */
export interface CancelOperationContext {
  previousStage: string | undefined
  /** Whether it marked a row at all (none: the operation is not in the cache, or already over). */
  marked: boolean
  /** Takes this cancel's `cancelling` back. @default undefined (nothing was marked) */
  undo?: (() => void) | undefined
}

const pendingRow = (operationId: string, operationType: string | undefined): OperationProgress =>
  compact<OperationProgress>({ operationId, operationType, status: 'pending', processedFiles: 0, failedFiles: 0, totalFiles: 0, percent: 0, updatedAt: new Date() })

/** Removes an optimistic row unless events have filled it since (they belong to a job that did start). */
function dropIfUntouched(queryClient: QueryClient, optimistic: OperationProgress): void {
  const queryKey = liveStatusKeys.operation(optimistic.operationId)
  if (queryClient.getQueryData(queryKey) === optimistic) queryClient.removeQueries({ queryKey, exact: true })
}

/** The id in a start answer: the reference server's `operation_id`, or `operationId` / `id`. */
function startedId(body: unknown): string {
  const answer = (body ?? {}) as Record<string, unknown>
  const id = answer.operation_id ?? answer.operationId ?? answer.id
  if (typeof id !== 'string' || id === '') throw new Error('[live-status] The start answer names no operation: expected `{ "operation_id": "…" }`.')
  return id
}

/**
 * Mutation options that start an operation in `projectId`: `POST` the `operationStart` endpoint,
 * resolve to `{ operationId }` and put a `pending` row under that operation's key, so
 * `useOperationProgress` shows it at once. With a proposed `operationId` the row is there before
 * the server answers, and is taken back if the start fails (unless events have filled it since).
 *
 * @example
 * ```ts
 * const start = useMutation(startOperationOptions(client, { projectId }, { queryClient }))
 * start.mutate({ type: 'index' })
 * ```
 */
export function startOperationOptions(
  client: LiveStatusClient,
  params: { projectId: string },
  options: CommandOptions = {},
): LiveMutationOptions<StartedOperation, StartOperationVariables | void, StartOperationContext> {
  const { projectId } = params
  const path = client.endpoints.operationStart?.(projectId) ?? `/api/projects/${segment(projectId)}/operations`
  const show = (queryClient: QueryClient | undefined, row: OperationProgress) =>
    queryClient && client.writeLive(queryClient, operationProgressChannel, { operationId: row.operationId, projectId }, (current) => current ?? row)
  return {
    mutationKey: ['live-status', 'startOperation', projectId],
    onMutate: (variables, context?: MutationContext) => {
      if (!variables?.operationId) return {}
      const optimistic = pendingRow(variables.operationId, variables.type)
      show(clientOf(options, context), optimistic)
      return { optimistic }
    },
    mutationFn: async (variables) => {
      const { type, operationId, input } = variables ?? {}
      // `type` and a proposed id only when given: undefined would overwrite the same names in `input`.
      const body = await sendJson(client.rest, path, { body: { ...input, ...(type !== undefined && { type }), ...(operationId !== undefined && { operation_id: operationId }) } })
      return { operationId: startedId(body) }
    },
    onSuccess: (started, variables, result, context?: MutationContext) => {
      const queryClient = clientOf(options, context)
      show(queryClient, pendingRow(started.operationId, variables?.type))
      const optimistic = result?.optimistic
      if (!queryClient || !optimistic) return
      // A backend that ignored the proposed id: the row under it stands for nothing.
      if (optimistic.operationId !== started.operationId) dropIfUntouched(queryClient, optimistic)
      // The id's own read may have come before the start landed: a 404, which takes an operation's
      // own socket off it until a read succeeds. It exists now: read it again (a read in flight is
      // cancelled), and the socket follows it at once rather than at the next poll.
      else void queryClient.invalidateQueries({ queryKey: liveStatusKeys.operation(started.operationId), exact: true })
    },
    onError: (_error, _variables, result, context?: MutationContext) => {
      const queryClient = clientOf(options, context)
      if (queryClient && result?.optimistic) dropIfUntouched(queryClient, result.optimistic)
    },
  }
}

/**
 * Mutation options that ask the server to cancel an operation: `POST` the `operationCancel`
 * endpoint. The row shows the stage `cancelling` at once (its status stays what the server says
 * until the server's `operation_cancelled` arrives: a job may still finish first); the stage goes
 * back if the request fails and nothing has moved it since.
 *
 * @example
 * ```ts
 * const cancel = useMutation(cancelOperationOptions(client, { queryClient }))
 * cancel.mutate({ operationId })
 * ```
 */
export function cancelOperationOptions(client: LiveStatusClient, options: CommandOptions = {}): LiveMutationOptions<void, CancelOperationVariables, CancelOperationContext> {
  return {
    mutationKey: ['live-status', 'cancelOperation'],
    onMutate: ({ operationId, projectId }, context?: MutationContext) => {
      const queryClient = clientOf(options, context)
      const current = queryClient?.getQueryData<OperationProgress>(liveStatusKeys.operation(operationId))
      const marked = !!current && (current.status === 'pending' || current.status === 'processing')
      const undo = marked ? writeUndoable(client, queryClient!, operationProgressChannel, { operationId, projectId }, (row: OperationProgress | undefined) => row && { ...row, stage: CANCELLING }) : undefined
      return { previousStage: current?.stage, marked, undo }
    },
    mutationFn: async ({ operationId }) => {
      const path = client.endpoints.operationCancel?.(operationId) ?? `/api/operations/${segment(operationId)}/cancel`
      await sendJson(client.rest, path, {})
    },
    // Take this cancel's stage back: from the screen unless events (or another cancel, accepted or
    // still out) replaced it, and from a status answer still to come (whose stage then shows).
    onError: (_error, _variables, result) => result?.undo?.(),
  }
}
