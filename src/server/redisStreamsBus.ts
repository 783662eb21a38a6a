import { createHash, randomBytes } from 'node:crypto'
import { backoffDelayMs } from '../transport/backoff'
import { type EventBus, type RetainedState, type SequencedEvent } from './eventBus'

/**
 * The part of an ioredis client the bus uses (`call` sends any command). Nothing of ioredis is
 * imported: pass your own client, `new Redis(url)`.
 */
export interface RedisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>
  /** A second connection with the same settings: the bus blocks on it while reading. */
  duplicate(): RedisLike
  disconnect(): void
  /**
   * ioredis emits connection errors here; the bus listens on its own reader so none go unhandled.
   * @default none: a client without events
   */
  on?(event: 'error', listener: (error: unknown) => void): unknown
}

/** Options of `RedisStreamsBus`: several server instances sharing events through Redis Streams. */
export interface RedisStreamsBusOptions {
  /** An ioredis client for commands. The bus reads on a `duplicate()` of it, which it owns. */
  redis: RedisLike
  /** Prefix of every key (`<prefix>{<projectId>}:events`, `…:seq`). @default 'live-status:' */
  keyPrefix?: string
  /** Entries kept per project stream (at least; trimmed once 10 % over). @default 1000 */
  maxLen?: number
  /**
   * Entries younger than this are never trimmed, however many: an instance reading behind a burst
   * still finds what it has not read. Memory is bounded by the publish rate over this window.
   * @default 60000
   */
  minAgeMs?: number
  /** A project's stream, sequence and checkpoint expire after this long without an event. @default 86400000 (a day) */
  ttlMs?: number
  /** How long one blocking read waits before it is made again. @default 5000 */
  blockMs?: number
  /**
   * A new subscription to a project this instance did not follow yet reads from this far back,
   * on Redis's clock (`TIME`, asked just before its first read): this covers what was published
   * between subscribing and that read. Subscribers may get events from before they subscribed:
   * the server drops those by `seq`.
   * @default 5000
   */
  subscribeMarginMs?: number
  /** Redis errors (down, refused): the bus keeps going, delivering locally. @default console.warn */
  onError?: (error: unknown) => void
  /**
   * Reads work again after `failedAttempts` failed ones (Redis is back): the other half of what
   * `onError` reported. @default console.info
   */
  onRecover?: (failedAttempts: number) => void
}

/**
 * Atomically: seq = max(last + 1, Redis time in µs), appended with the stream id `<seq>-0`, so the
 * position is the seq, identical on every instance and in the same µs space as the in-memory bus.
 */
const PUBLISH = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local seq = now
if last + 1 > seq then seq = last + 1 end
local text = string.format('%.0f', seq)
redis.call('SET', KEYS[2], text, 'PX', ARGV[3])
redis.call('XADD', KEYS[1], text .. '-0', 'e', ARGV[1], 'p', ARGV[7])
-- Keep the newest maxLen entries, and every entry younger than minAge whatever their number: an
-- instance reading behind a burst must find what it has not read yet. Checked in O(1) (length, the
-- oldest id) and trimmed only once 10 % over in count and in age, so the O(maxLen) search for the
-- count boundary runs once per maxLen/10 events or minAge/10, not on every publish of a burst.
local maxLen = tonumber(ARGV[2])
local minAge = tonumber(ARGV[6]) * 1000
if redis.call('XLEN', KEYS[1]) > maxLen + math.max(1, math.floor(maxLen / 10)) then
  local byAge = seq - minAge
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
  local oldestSeq = tonumber(string.sub(oldest, 1, string.find(oldest, '-') - 1))
  if oldestSeq < byAge - math.floor(minAge / 10) then
    local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', maxLen)
    local boundary = newest[#newest][1]
    local byCount = tonumber(string.sub(boundary, 1, string.find(boundary, '-') - 1))
    local cut = byCount
    if byAge < cut then cut = byAge end
    if cut > 0 then redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', cut) .. '-0') end
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', ARGV[4], ARGV[5], 'PX', ARGV[3]) end
return text
`)

/** Keeps the newest checkpoint only: two instances following a project both write theirs. */
const CHECKPOINT = luaScript(`
local current = redis.call('HGET', KEYS[1], 'seq')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'events', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

type Listener = (event: SequencedEvent) => void

/**
 * `EventBus` on Redis Streams, for several server instances behind a load balancer: one stream per
 * project; each instance reads the streams of the projects its clients follow with blocking reads
 * and fans out to its own sockets. `seq` is the stream position, so `?since=` replays from Redis on
 * any instance, and a gap older than what the stream keeps is reported (`null`: a snapshot follows).
 *
 * Needs Redis ≥ 7 (explicit stream ids from a script, `XINFO STREAM`'s `entries-added`).
 *
 * Redis down: `publish` still reaches this instance's own clients (with a local `seq`; other
 * instances never see that event), reads retry with backoff, `ready()` says false. Back up: reading
 * resumes from the last position seen, so nothing that reached the stream is lost.
 */
export class RedisStreamsBus implements EventBus {
  readonly #redis: RedisLike
  readonly #reader: RedisLike
  readonly #prefix: string
  readonly #maxLen: number
  readonly #minAgeMs: number
  readonly #ttlMs: number
  readonly #blockMs: number
  readonly #marginMs: number
  readonly #onError: (error: unknown) => void
  readonly #onRecover: (failedAttempts: number) => void
  #listeners = new Map<string, Set<Listener>>()
  /** Per followed project: the stream id read up to, and the highest seq delivered. */
  /** `id` is null until the first read fixes it from Redis's clock. */
  /**
   * `setAsideUntil`: the stream's key holds another type (written by something else), so every
   * `XREAD` naming it fails: it is left out of reads until then, and its type checked again.
   */
  #positions = new Map<string, { id: string | null; delivered: number; known?: number; setAsideUntil?: number }>()
  #readerId: number | null = null
  #reading = false
  #wake: (() => void) | null = null
  /** Bumped when the set of followed streams changes; `#readVersion` is the set the pending read covers. */
  #version = 0
  #readVersion = 0
  #unblocking: Promise<void> | null = null
  #closed = false
  /** Publish ids: this bus's own, then a counter. */
  readonly #busId = randomBytes(6).toString('hex')
  #published = 0
  /**
   * Events delivered locally because their publish failed, by publish id: a publish that timed
   * out may still have run in Redis, and the reader must not deliver that event a second time.
   */
  #localOnly = new Set<string>()
  /** Stream entries the reader dropped as not events (see `EventBus.unreadableEntries`). */
  unreadableEntries = 0
  /** Publishes in flight, by publish id: the seq the reader delivered the entry under, once it has. */
  #inFlight = new Map<string, number | undefined>()

  constructor(options: RedisStreamsBusOptions) {
    this.#redis = options.redis
    this.#reader = options.redis.duplicate()
    // Connection errors also fail the pending read, which reports them (once per attempt).
    this.#reader.on?.('error', () => {})
    this.#prefix = options.keyPrefix ?? 'live-status:'
    // Checked here: the publish script would store the event and then fail on a bad number.
    this.#maxLen = integerOption('maxLen', options.maxLen ?? 1000, 1)
    this.#minAgeMs = integerOption('minAgeMs', options.minAgeMs ?? 60_000, 0)
    this.#ttlMs = integerOption('ttlMs', options.ttlMs ?? 86_400_000, 1)
    this.#blockMs = integerOption('blockMs', options.blockMs ?? 5000, 0)
    this.#marginMs = integerOption('subscribeMarginMs', options.subscribeMarginMs ?? 5000, 0)
    this.#onError = options.onError ?? ((error) => console.warn('[live-status/server] redis bus:', error instanceof Error ? error.message : error))
    this.#onRecover = options.onRecover ?? ((failedAttempts) => console.info(`[live-status/server] redis bus: reading again after ${failedAttempts} failed attempts`))
    void this.#readLoop()
  }

  #stream(projectId: string): string {
    return `${this.#prefix}{${projectId}}:events`
  }

  #seqKey(projectId: string): string {
    return `${this.#prefix}{${projectId}}:seq`
  }

  #checkpointKey(projectId: string): string {
    return `${this.#prefix}{${projectId}}:checkpoint`
  }

  #operationKey(operationId: string): string {
    return `${this.#prefix}op:${operationId}`
  }

  async locate(operationId: string): Promise<string | null> {
    const projectId = await this.#redis.call('GET', this.#operationKey(operationId))
    return typeof projectId === 'string' ? projectId : null
  }

  async retained(projectId: string): Promise<RetainedState> {
    const [seqText, eventsText] = (await this.#redis.call('HMGET', this.#checkpointKey(projectId), 'seq', 'events')) as [string | null, string | null]
    const checkpointSeq = seqText === null ? 0 : Number(seqText)
    let checkpoint: SequencedEvent[] = []
    if (checkpointSeq > 0 && eventsText !== null) {
      try {
        const parsed = JSON.parse(eventsText) as unknown
        if (Array.isArray(parsed)) checkpoint = parsed.filter((event): event is SequencedEvent => typeof event?.type === 'string').map((event) => ({ ...event, seq: checkpointSeq }))
      } catch (error) {
        this.#onError(error)
      }
    }
    const from = checkpoint.length > 0 ? `(${checkpointSeq}-0` : '-'
    const entries = (await this.#redis.call('XRANGE', this.#stream(projectId), from, '+')) as [string, string[]][]
    const events = entries.flatMap(([id, fields]) => {
      const event = parseEntry(id, fields)
      return event ? [event] : []
    })
    this.#know(projectId, Math.max(checkpointSeq, events[events.length - 1]?.seq ?? 0))
    return { checkpoint, events }
  }

  /** By hash (the script text is sent once per Redis process, not with every call). */
  async #eval(script: LuaScript, keyCount: number, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.call('EVALSHA', script.sha, keyCount, ...args)
    } catch (error) {
      // Not cached (first call, or Redis restarted): EVAL runs it and caches it.
      if (!String(error instanceof Error ? error.message : error).includes('NOSCRIPT')) throw error
      return this.#redis.call('EVAL', script.text, keyCount, ...args)
    }
  }

  async checkpoint(projectId: string, seq: number, events: SequencedEvent[]): Promise<void> {
    const bodies = events.map(({ seq: _seq, ...body }) => body)
    await this.#eval(CHECKPOINT, 1, this.#checkpointKey(projectId), String(seq), JSON.stringify(bodies), this.#ttlMs)
  }

  async publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<SequencedEvent> {
    const { seq: _ignored, ...body } = event as Record<string, unknown>
    const publishId = `${this.#busId}.${++this.#published}`
    this.#inFlight.set(publishId, undefined)
    try {
      const operationId = typeof body.operation_id === 'string' ? body.operation_id : null
      const seq = Number(
        await this.#eval(
          PUBLISH,
          2,
          this.#stream(projectId),
          this.#seqKey(projectId),
          JSON.stringify(body),
          this.#maxLen,
          this.#ttlMs,
          operationId === null ? '' : this.#operationKey(operationId),
          projectId,
          this.#minAgeMs,
          publishId,
        ),
      )
      // Delivered by the reader, like every other instance's events: one path, one order.
      return { ...body, seq } as SequencedEvent
    } catch (error) {
      this.#onError(error)
      // Ran after all, and the reader has delivered it already (its reply was the slow one).
      const readSeq = this.#inFlight.get(publishId)
      if (readSeq !== undefined) return { ...body, seq: readSeq } as SequencedEvent
      // Degraded: this instance's own clients still get it.
      // One above the last seq seen, in Redis's seq space rather than this host's clock: what Redis
      // numbers once it is back stays above it, whatever the skew between the two clocks (with a
      // host clock ahead, later events from other instances were dropped as already seen).
      const position = this.#positions.get(projectId)
      // Above what a subscriber folded from retained()/history() too, or it drops this event as old.
      const sequenced = { ...body, seq: Math.max(position?.delivered ?? 0, position?.known ?? 0) + 1 } as SequencedEvent
      this.#localOnly.add(publishId)
      // Bounded: Redis down for long, the oldest are dropped (those publishes are long failed).
      if (this.#localOnly.size > LOCAL_ONLY_MAX) this.#localOnly.delete(this.#localOnly.values().next().value!)
      this.#deliver(projectId, sequenced)
      return sequenced
    } finally {
      this.#inFlight.delete(publishId)
    }
  }

  subscribe(projectId: string, listener: Listener): () => void {
    let listeners = this.#listeners.get(projectId)
    if (!listeners) {
      this.#listeners.set(projectId, (listeners = new Set()))
      // Not from this host's clock: one ahead of Redis's by more than the margin skipped events.
      this.#positions.set(projectId, { id: null, delivered: 0 })
      this.#restartRead()
    }
    listeners.add(listener)
    return () => {
      const current = this.#listeners.get(projectId)
      if (!current?.delete(listener) || current.size > 0) return
      this.#listeners.delete(projectId)
      this.#positions.delete(projectId)
      this.#restartRead()
    }
  }

  async history(projectId: string, sinceSeq: number): Promise<SequencedEvent[] | null> {
    const stream = this.#stream(projectId)
    const [entries, info] = await Promise.all([
      this.#redis.call('XRANGE', stream, `(${Math.floor(sinceSeq)}-0`, '+') as Promise<[string, string[]][]>,
      this.#redis.call('XINFO', 'STREAM', stream).catch(() => null) as Promise<unknown[] | null>,
    ])
    if (sinceSeq > 0) {
      // The stream holds everything after `since` only if it still holds an entry at or before it:
      // entries leave from the front only. Trimmed, or the stream gone and made anew (a Redis
      // restarted without its data, a key expired or deleted; `entries-added` then counts the new
      // stream only, so it cannot tell), what the client missed may be gone. (Seqs are not
      // contiguous, so this errs toward a snapshot, which is always safe.)
      const first = info ? (field(info, 'first-entry') as [string, string[]] | null | undefined) : null
      if (!first || seqOf(first[0]) > sinceSeq) return null
    }
    const events = entries.flatMap(([id, fields]) => {
      const event = parseEntry(id, fields)
      return event ? [event] : []
    })
    this.#know(projectId, events[events.length - 1]?.seq ?? 0)
    return events
  }

  /** A seq a subscriber may have folded without the reader (retained, history): a local seq goes above it. */
  #know(projectId: string, seq: number): void {
    const position = this.#positions.get(projectId)
    if (position && seq > (position.known ?? 0)) position.known = seq
  }

  async head(projectId: string): Promise<number> {
    const value = await this.#redis.call('GET', this.#seqKey(projectId))
    return value === null ? 0 : Number(value)
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.#redis.call('PING')) === 'PONG'
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#restartRead()
    this.#reader.disconnect()
    this.#listeners.clear()
    this.#positions.clear()
  }

  #deliver(projectId: string, event: SequencedEvent): void {
    const position = this.#positions.get(projectId)
    if (position) {
      if (event.seq <= position.delivered) return
      position.delivered = event.seq
    }
    for (const listener of [...(this.#listeners.get(projectId) ?? [])]) {
      try {
        listener(event)
      } catch (error) {
        this.#onError(error)
      }
    }
  }

  /** The set of streams changed: end the blocking read so the next one reads them. */
  #restartRead(): void {
    this.#version++
    this.#wake?.()
    if (this.#reading) this.#unblocking ??= this.#unblock().finally(() => (this.#unblocking = null))
  }

  /**
   * `CLIENT UNBLOCK` travels on another connection than the read: it can reach Redis before the
   * read does, and then unblocks nothing (the read would block `blockMs` on the old set of
   * streams). One loop at a time, repeated until the pending read covers the current set.
   */
  async #unblock(): Promise<void> {
    for (let tries = 0; tries < 100 && this.#reading && this.#readVersion < this.#version && !this.#closed; tries++) {
      const id = this.#readerId
      if (id === null) return
      const unblocked = await this.#redis.call('CLIENT', 'UNBLOCK', id).catch(() => 0)
      if (Number(unblocked) === 1) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** Sets aside the followed streams whose key is not a stream; true if it found one. */
  async #setAsideWrongTypes(): Promise<boolean> {
    let found = false
    for (const [projectId, position] of [...this.#positions]) {
      // Already left out of reads: not what failed this one (counting it would skip the backoff).
      if (position.setAsideUntil !== undefined) continue
      const type = await this.#redis.call('TYPE', this.#stream(projectId)).catch(() => null)
      if (type === null || type === 'stream' || type === 'none') continue
      position.setAsideUntil = Date.now() + SET_ASIDE_MS
      found = true
    }
    return found
  }

  /** Takes back the streams set aside whose key is a stream again (or gone: `XREAD` waits for it). */
  async #recheckSetAside(): Promise<void> {
    const now = Date.now()
    for (const [projectId, position] of [...this.#positions]) {
      if (position.setAsideUntil === undefined || position.setAsideUntil > now) continue
      const type = await this.#redis.call('TYPE', this.#stream(projectId)).catch(() => null)
      // Not answered (Redis down): asked again before the next read.
      if (type === null) continue
      position.setAsideUntil = type === 'stream' || type === 'none' ? undefined : now + SET_ASIDE_MS
    }
  }

  async #readLoop(): Promise<void> {
    let failures = 0
    while (!this.#closed) {
      if (this.#positions.size === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve))
        this.#wake = null
        continue
      }
      try {
        // Before the placement below: a project followed while this awaits is placed before the read.
        await this.#recheckSetAside()
        this.#readerId ??= Number(await this.#reader.call('CLIENT', 'ID'))
        const unplaced = [...this.#positions.values()].filter((position) => position.id === null)
        if (unplaced.length > 0) {
          const [seconds, micros] = (await this.#reader.call('TIME')) as [string, string]
          const fromMicros = Number(seconds) * 1_000_000 + Number(micros) - this.#marginMs * 1000
          for (const position of unplaced) position.id ??= `${Math.max(0, fromMicros)}-0`
          // Followed during the TIME call: placed before the read, not after it.
          continue
        }
        const projects = [...this.#positions.keys()].filter((projectId) => this.#positions.get(projectId)!.setAsideUntil === undefined)
        if (projects.length === 0) {
          // Every followed stream is set aside: wait as a read would, or for a new project.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(this.#blockMs, 100))
            this.#wake = () => (clearTimeout(timer), resolve())
          })
          this.#wake = null
          continue
        }
        const byStream = new Map(projects.map((projectId) => [this.#stream(projectId), projectId]))
        const ids = projects.map((projectId) => this.#positions.get(projectId)!.id!)
        this.#reading = true
        this.#readVersion = this.#version
        const reply = (await this.#reader.call('XREAD', 'COUNT', 1000, 'BLOCK', this.#blockMs, 'STREAMS', ...byStream.keys(), ...ids)) as
          | [string, [string, string[]][]][]
          | null
        this.#reading = false
        if (failures > 0) {
          try {
            this.#onRecover(failures)
          } catch (error) {
            this.#onError(error)
          }
        }
        failures = 0
        for (const [stream, entries] of reply ?? []) {
          const projectId = byStream.get(stream)
          if (projectId === undefined) continue
          for (const [id, fields] of entries) {
            const position = this.#positions.get(projectId)
            if (!position) break
            position.id = id
            // Delivered here already, when its publish seemed to fail (timed out, then run).
            const publishId = entryField(fields, 'p')
            if (publishId !== undefined && this.#localOnly.delete(publishId)) continue
            if (publishId !== undefined && this.#inFlight.has(publishId)) this.#inFlight.set(publishId, seqOf(id))
            const event = parseEntry(id, fields)
            // Counted once, by the reader: replays (history, retained) read the same entries again.
            if (event) this.#deliver(projectId, event)
            else this.unreadableEntries++
          }
        }
      } catch (error) {
        this.#reading = false
        if (this.#closed) return
        // A new connection has a new id.
        this.#readerId = null
        this.#onError(error)
        // One key of another type fails the read of every project this instance follows: find it
        // and leave it out, so the others are read again at once.
        if (String(error instanceof Error ? error.message : error).includes('WRONGTYPE') && (await this.#setAsideWrongTypes())) continue
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(++failures, 100, 5000)))
      }
    }
  }
}

/** Publish ids of events delivered locally only, kept at most. */
const LOCAL_ONLY_MAX = 10_000

/** How long a stream whose key holds another type is left out of reads before its type is checked again. */
const SET_ASIDE_MS = 5000

interface LuaScript {
  text: string
  sha: string
}

function luaScript(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') }
}

function integerOption(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`[live-status/server] RedisStreamsBus: ${name} must be an integer ≥ ${min} (got ${String(value)})`)
  return value
}

function seqOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')))
}

/** A field of a stream entry (names at even positions: a value equal to a name is not one). */
function entryField(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1]
  return undefined
}

function parseEntry(id: string, fields: string[]): SequencedEvent | null {
  const text = entryField(fields, 'e')
  if (text === undefined) return null
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    if (typeof body !== 'object' || body === null || typeof body.type !== 'string') return null
    return { ...body, seq: seqOf(id) } as SequencedEvent
  } catch {
    return null
  }
}

function field(reply: unknown[], name: string): unknown {
  for (let i = 0; i < reply.length - 1; i += 2) if (reply[i] === name) return reply[i + 1]
  return undefined
}
