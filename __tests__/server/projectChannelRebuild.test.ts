// A project channel on a shared bus rebuilds its state before it serves anyone. The bus here is the
// in-memory one with a `retained` the test answers by hand (slow, failing, never), so every
// interleaving of rebuild, live events, joins, REST reads and checkpoints is chosen, not hoped for.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { InMemoryEventBus, type RetainedState, type SequencedEvent } from '../../src/server'
import type { ChannelMember } from '../../src/server/fanout/projectChannel'
import { ProjectRegistry } from '../../src/server/fanout/projectRegistry'

afterEach(() => {
  vi.useRealTimers()
})

/** `retained` answers only when the test says so; checkpoints are recorded. */
class HandBus extends InMemoryEventBus {
  readonly reads: { resolve: (state: RetainedState) => void; reject: (error: unknown) => void }[] = []
  readonly checkpoints: { seq: number; events: SequencedEvent[] }[] = []
  retained(): Promise<RetainedState> {
    return new Promise((resolve, reject) => this.reads.push({ resolve, reject }))
  }
  async checkpoint(_projectId: string, seq: number, events: SequencedEvent[]): Promise<void> {
    this.checkpoints.push({ seq, events })
  }
  /** The next `retained` call, once it has been made. */
  async read() {
    await vi.waitFor(() => expect(this.reads.length).toBeGreaterThan(0))
    return this.reads.shift()!
  }
}

function setup(rebuildTimeoutMs = 5000) {
  const bus = new HandBus()
  const errors: string[] = []
  const registry = new ProjectRegistry(bus, {
    batchIntervalMs: 1,
    batchMaxEvents: 1,
    maxFrameBytes: 65536,
    onEventIn: () => {},
    onDropped: () => {},
    onBusError: (what) => errors.push(what),
    rebuildTimeoutMs,
  })
  return { bus, registry, errors }
}

/** A member that decodes what it is sent. */
function member() {
  const received: SequencedEvent[] = []
  const m: ChannelMember & { received: SequencedEvent[] } = {
    sentSeq: 0,
    pending: undefined,
    received,
    sendFrames(frames) {
      for (const frame of frames) {
        const parsed = JSON.parse(frame.toString()) as SequencedEvent & { events?: SequencedEvent[] }
        received.push(...(parsed.type === 'batch' ? parsed.events! : [parsed]))
      }
      return true
    },
  }
  return m
}

const started = (seq: number): SequencedEvent => ({ type: 'operation_started', operation_id: 'op-1', operation_type: 'index', total_files: 10, seq })

describe('ProjectChannel rebuilding from a shared bus', () => {
  test('live events published during the rebuild are held, folded after what the bus retained, and reach a member joined meanwhile once each', async () => {
    const { bus, registry } = setup()
    const channel = registry.acquire('p1')
    const m = member()
    const joining = channel.join(m, null, () => true)
    // Published while the rebuild is still reading: newer than anything retained.
    const live1 = await bus.publish('p1', { type: 'file_completed', operation_id: 'op-1', processed_files: 3, total_files: 10 })
    const read = await bus.read()
    read.resolve({ checkpoint: [], events: [started(1)] })
    expect(await joining).toMatchObject({ kind: 'snapshot' })
    const live2 = await bus.publish('p1', { type: 'file_completed', operation_id: 'op-1', processed_files: 4, total_files: 10 })
    await vi.waitFor(() => expect(m.received.some((event) => event.seq === live2.seq)).toBe(true))
    // The snapshot holds the retained start and the held event; only live2 follows it.
    expect(m.received[0]).toMatchObject({ type: 'current_state', operation_type: 'index', processed_files: 3, seq: live1.seq })
    expect(m.received.slice(1).map((event) => event.seq)).toEqual([live2.seq])
    expect(channel.state.operations.get('op-1')).toMatchObject({ operationType: 'index', processedFiles: 4 })
  })

  test('a REST read and a socket join racing on a project with no state: the socket stays a member of the live channel', async () => {
    const { bus, registry } = setup()
    const rest = registry.hydrate('p-new')
    const m = member()
    const joining = registry.acquire('p-new').join(m, null, () => true)
    ;(await bus.read()).resolve({ checkpoint: [], events: [] })
    // Kept for the joining socket (released with an empty state, the socket would be orphaned).
    const channel = await rest
    expect(channel !== 'unavailable' && channel?.state.indexBody()).toBeFalsy()
    await joining
    expect(registry.get('p-new')?.members.has(m)).toBe(true)
    const published = await bus.publish('p-new', { type: 'index_started', project_id: 'p-new' })
    await vi.waitFor(() => expect(m.received.map((event) => event.seq)).toEqual([published.seq]))
  })

  test('a failed rebuild serves nothing: the join and REST say unavailable, nothing is checkpointed, and the next attempt rebuilds', async () => {
    const { bus, registry, errors } = setup()
    const channel = registry.acquire('p1')
    const m = member()
    const joining = channel.join(m, null, () => true)
    const rest = registry.hydrate('p1')
    await bus.publish('p1', { type: 'index_started', project_id: 'p1' })
    ;(await bus.read()).reject(new Error('connection lost'))
    expect(await joining).toBe('unavailable')
    expect(await rest).toBe('unavailable')
    expect(m.received).toEqual([])
    expect(errors).toEqual(['rebuild'])
    expect(registry.get('p1')).toBeUndefined()
    await registry.checkpointAll()
    await channel.checkpoint()
    expect(bus.checkpoints).toEqual([])

    const again = registry.hydrate('p1')
    ;(await bus.read()).resolve({ checkpoint: [{ type: 'index_status', project_id: 'p1', status: 'ready', entity_count: 7, seq: 5 }], events: [] })
    const channelAgain = await again
    expect(channelAgain).not.toBe('unavailable')
    expect(channelAgain && channelAgain !== 'unavailable' ? channelAgain.state.indexBody() : null).toMatchObject({ status: 'ready', entity_count: 7 })
  })

  test('a bus that never answers fails the rebuild after rebuildTimeoutMs', async () => {
    vi.useFakeTimers()
    const { bus, registry, errors } = setup(200)
    const rest = registry.hydrate('p1')
    // The channel asks the bus as it is created.
    expect(bus.reads).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(199)
    expect(errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(await rest).toBe('unavailable')
    expect(errors).toEqual(['rebuild'])
  })

  test('checkpoints: none while rebuilding, one after a change (the state as timestamped snapshot events), none when nothing changed', async () => {
    const { bus, registry } = setup()
    const channel = registry.acquire('p1')
    await channel.checkpoint()
    expect(bus.checkpoints).toEqual([])
    ;(await bus.read()).resolve({ checkpoint: [], events: [started(1)] })
    await channel.rebuilt
    await registry.checkpointAll()
    expect(bus.checkpoints).toHaveLength(1)
    expect(bus.checkpoints[0]).toMatchObject({ seq: 1, events: [{ type: 'current_state', operation_id: 'op-1', total_files: 10, seq: 1 }] })
    expect(typeof bus.checkpoints[0]!.events[0]!.timestamp).toBe('string')
    await registry.checkpointAll()
    expect(bus.checkpoints).toHaveLength(1)
    await bus.publish('p1', { type: 'operation_completed', operation_id: 'op-1', processed_files: 10, total_files: 10 })
    await registry.checkpointAll()
    expect(bus.checkpoints).toHaveLength(2)
    expect(bus.checkpoints[1]!.events[0]).toMatchObject({ status: 'completed' })
  })
})
