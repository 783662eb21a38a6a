import type { ProjectRegistry } from '../fanout/projectRegistry'
import type { Log } from '../logger'
import type { ResolvedOptions } from '../options'

/** What the REST routes need of the server. */
export interface RestContext<User> {
  options: ResolvedOptions<User>
  log: Log
  projects: ProjectRegistry
  publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<unknown>
}
