// A channel of jobs by id on one project socket, for the tests of what a view that comes back to
// an open socket reads (joinOpenSocket, joinOpenSocketVouching, strictModeRemount).
import { z } from 'zod'
import { defineChannel, type ChannelDefinition } from '../../src/core'

export interface Job {
  n: number
  done: boolean
}

export type JobEvent = { id: string } & Job

/** What REST answers: `truth` as it is when asked, counted in `asked`, sent after `delay()` when given. */
export interface JobRest {
  truth: Record<string, Job>
  asked: Record<string, number>
  delay?: () => Promise<void> | undefined
}

/** Jobs on `/ws/project`, routed by id, keyed `['job', id]`; active until `done`. */
export function jobChannel(name: string, rest: JobRest, extra: Pick<ChannelDefinition<{ id: string }, JobEvent, Job>, 'onOpen'> = {}) {
  return defineChannel<{ id: string }, JobEvent, Job>({
    name,
    queryKey: ({ id }) => ['job', id],
    socket: () => '/ws/project',
    schema: z.object({ id: z.string(), n: z.number(), done: z.boolean() }),
    route: { params: ({ id }) => id, event: (event) => event.id },
    matches: (event, { id }) => event.id === id,
    reduce: (_data, event) => ({ n: event.n, done: event.done }),
    fetch: async ({ params }) => {
      rest.asked[params.id] = (rest.asked[params.id] ?? 0) + 1
      // The server reads its state when asked; the answer may take longer than the turn it was
      // asked in, as over a network.
      const state = { ...rest.truth[params.id]! }
      await rest.delay?.()
      return state
    },
    isActive: (data) => data !== undefined && !data.done,
    ...extra,
  })
}
