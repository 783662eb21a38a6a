import type { EventBus } from '../eventBus'
import { ProjectChannel, type ChannelConfig } from './projectChannel'

/**
 * The projects held in memory: a project's channel (and state) exists while it has members or a
 * job to report, and is released after, so memory follows live projects, not every id ever seen.
 */
export class ProjectRegistry {
  readonly #channels = new Map<string, ProjectChannel>()
  /** Which project an operation belongs to, for `GET /api/operations/{id}`. */
  readonly #operationProjects = new Map<string, string>()
  #bus: EventBus
  #config: ChannelConfig

  constructor(bus: EventBus, config: ChannelConfig) {
    this.#bus = bus
    this.#config = config
  }

  get size(): number {
    return this.#channels.size
  }

  get operationCount(): number {
    return this.#operationProjects.size
  }

  get(projectId: string): ProjectChannel | undefined {
    return this.#channels.get(projectId)
  }

  acquire(projectId: string): ProjectChannel {
    let channel = this.#channels.get(projectId)
    if (!channel) {
      const created = new ProjectChannel(projectId, this.#bus, this.#config)
      this.#channels.set(projectId, (channel = created))
      // A channel whose rebuild failed serves nothing: dropped, so the next socket or request
      // builds a new one (registered before any join awaits it, so it runs first).
      void created.rebuilt.then((ok) => {
        if (ok) return
        if (this.#channels.get(projectId) === created) this.#channels.delete(projectId)
        created.dispose()
      })
    }
    return channel
  }

  /** Releases the channel if it has nothing left to keep. */
  releaseIfIdle(projectId: string): void {
    const channel = this.#channels.get(projectId)
    if (!channel?.idle) return
    channel.dispose()
    this.#channels.delete(projectId)
  }

  noteOperation(operationId: string, projectId: string): void {
    this.#operationProjects.set(operationId, projectId)
  }

  /**
   * Records a new operation of `projectId`; false when this instance knows the id already. Sync, so
   * two requests proposing the same id between their awaits cannot both start it here.
   */
  claimOperation(operationId: string, projectId: string): boolean {
    if (this.#operationProjects.has(operationId)) return false
    this.#operationProjects.set(operationId, projectId)
    return true
  }

  /** The project of an operation: this instance's own record, else the shared bus's. */
  async locateOperation(operationId: string): Promise<string | undefined> {
    const known = this.#operationProjects.get(operationId)
    if (known !== undefined || !this.#bus.locate) return known
    const projectId = (await this.#bus.locate(operationId)) ?? undefined
    if (projectId !== undefined) this.#operationProjects.set(operationId, projectId)
    return projectId
  }

  /**
   * A project's channel once its state holds what a shared bus retains (the project's events may
   * have been published on another instance); `undefined` when there is nothing to report;
   * `'unavailable'` when the shared bus could not be read.
   */
  async hydrate(projectId: string): Promise<ProjectChannel | undefined | 'unavailable'> {
    const existing = this.#channels.get(projectId)
    if (!existing && !this.#bus.retained) return undefined
    const channel = existing ?? this.acquire(projectId)
    if (!(await channel.rebuilt)) return 'unavailable'
    this.releaseIfIdle(projectId)
    return this.#channels.get(projectId)
  }

  /** Writes each followed project's checkpoint to a shared bus (those that changed). */
  async checkpointAll(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((channel) => channel.checkpoint()))
  }

  /** Forgets operations finished before `cutoff` (epoch ms), then releases the idle channels. */
  sweep(cutoff: number): void {
    for (const [projectId, channel] of [...this.#channels]) {
      for (const operationId of channel.state.forgetFinished(cutoff)) this.#operationProjects.delete(operationId)
      this.releaseIfIdle(projectId)
    }
    // Operations of a released project (published, but never folded into its state).
    for (const [operationId, projectId] of this.#operationProjects) {
      if (!this.#channels.has(projectId)) this.#operationProjects.delete(operationId)
    }
  }

  flushAll(): void {
    for (const channel of this.#channels.values()) channel.flush()
  }

  dispose(): void {
    for (const channel of this.#channels.values()) channel.dispose()
    this.#channels.clear()
    this.#operationProjects.clear()
  }
}
