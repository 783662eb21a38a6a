import { transportDefaults, type ResumeParam, type SocketHubOptions } from './options'
import { redactShort, type Tokens } from './redact'
import type { ConnectionStats, EventError, EventErrorReason, EventSchema, StandardResult } from './types'

/** One party interested in a connection's events. */
export interface FrameSubscriber<T = unknown> {
  /** Validates each message; messages it rejects never reach `onEvents`. Without it, every message does. @default undefined */
  schema?: EventSchema<T>
  /** The valid events of one frame, in order: a batch frame arrives as one call. @default undefined */
  onEvents?: (events: T[]) => void
  /** Field naming the event type for this subscriber's error reports. @default the hub's `discriminator` */
  discriminator?: string
  /**
   * Binary frames (image previews between a job's JSON events; with `binaryFrames`, those it does
   * not read as JSON). Without a subscriber that takes them they are dropped and counted as
   * `binary`, never taken as lost events.
   * @default undefined
   */
  onBinary?: (data: unknown) => void
  /**
   * Types (values of this subscriber's `discriminator` field) the backend sends on this socket for
   * other channels of the same socket: this subscriber's schema refusing one of them is not
   * reported. A message nobody takes is then ignored, as an event for another query is.
   * @default undefined
   */
  knownTypes?: readonly string[]
}

export interface FrameDecoderOptions {
  maxPayloadBytes: number
  /** Frames whose JSON nests deeper are dropped unparsed. @default 64 */
  maxNestingDepth?: number
  discriminator: string
  controlTypes: readonly string[]
  /** Envelope types that carry many messages, and the field holding them. @default { batch: 'events' } */
  batches?: Readonly<Record<string, string>>
  /** Reads a binary frame as JSON text, or `undefined` to leave it binary (see `SocketHubOptions.binaryFrames`). @default undefined */
  binaryFrames?: SocketHubOptions['binaryFrames']
  /** Moves `maxSeq` by each message a subscriber took (see `SocketHubOptions.resumeParam`). @default undefined (`maxSeq` stays 0) */
  resumeParam?: ResumeParam | undefined
  onEventError: ((error: EventError) => void) | undefined
  /**
   * Where an app's callback or validator failure goes (a validator's asynchronous rejection too);
   * it must not throw. The hub's masks the token and never throws.
   */
  onCallbackError: (error: unknown) => void
}

/**
 * A frame a transport skipped unread for its size (an SSE event past its line limit): counted as
 * `too_large`, like a socket frame over `maxPayloadBytes`, so its queries refetch.
 */
export interface OversizedFrame {
  oversizedChars: number
}

/**
 * A frame's messages, and its text when it is one message: what a rejected message's sample is
 * (a batch's are each message's own JSON), built only on a drop.
 */
interface Decoded {
  messages: unknown[]
  text?: string
}

/** Why a frame was dropped whole. */
interface Failure {
  reason: EventErrorReason
  message: string
  sample: string
  binary?: unknown
}


const referenceBatches: Readonly<Record<string, string>> = { batch: 'events' }

/** Keys no parsed frame keeps: once merged or assigned somewhere, they reach prototypes. */
const dangerousKeys = ['__proto__', 'constructor', 'prototype']
const mentionsDangerousKey = new RegExp(dangerousKeys.join('|'))

// Module-level, not closures made per decoded frame: only a dropped frame builds its report.
const fail = (reason: EventErrorReason, message: string, sample = '', binary?: unknown): Failure => ({ reason, message, sample, binary })
// How to read JSON in binary frames, for developers: production builds keep what was dropped.
const binaryHint = ' (JSON in binary frames: the `binaryFrames` option)'
const ignoredBinary = (data: unknown, hint = '') => fail('binary', `binary frame${(data as ArrayBuffer | null)?.byteLength ? ` of ${(data as ArrayBuffer).byteLength} bytes` : ''} ignored${hint}`, '', data)
const tooLarge = (bytes: number, limit: number) => fail('too_large', `frame of ${bytes}+ bytes is over maxPayloadBytes (${limit})`)

/**
 * What a message calls itself: its discriminator's field when it has one (even `null`: an event
 * that has the field is an event, whatever its `type` says), else `type`, which pings, rejections
 * and batch envelopes of servers that name their events otherwise may still use. With the default
 * discriminator both are `type`: no `Object.hasOwn` call, which runs for every message.
 */
const nameOf = (message: Record<string, unknown>, discriminator: string): unknown => (discriminator === 'type' || !Object.hasOwn(message, discriminator) ? message.type : message[discriminator])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The one place that turns raw frames into typed events: size limit, JSON, batch unpacking,
 * validation per subscriber schema, and counting and reporting of everything dropped. Nothing it is
 * fed can throw out of `dispatch`.
 */
export class FrameDecoder {
  readonly stats: ConnectionStats = { framesReceived: 0, eventsDelivered: 0, dropped: { invalid_json: 0, too_large: 0, binary: 0, not_an_object: 0, unknown_type: 0, schema_mismatch: 0, rejected: 0 } }
  /** Where a resuming connection asks the server to go on from (`resumeParam`): the highest `seq` a subscriber took. */
  maxSeq = 0
  #options: FrameDecoderOptions
  #url: string
  #token: () => Tokens
  #onControl: ((message: Record<string, unknown>) => void) | undefined
  /**
   * `batches` as `[name, field]` pairs. A frame is named only when it holds a list in one of these
   * fields: a Map looked up by name hashed every frame's name, a string new to it (about 25 ns a
   * frame).
   */
  #batchLists: [string, string][]

  /** `onControl` gets each control message (a ping, a heartbeat) to answer; it must not throw. */
  constructor(options: FrameDecoderOptions, url: string, token: () => Tokens, onControl?: (message: Record<string, unknown>) => void) {
    this.#options = options
    this.#url = url
    this.#token = token
    this.#onControl = onControl
    this.#batchLists = Object.entries(options.batches ?? referenceBatches)
  }

  /**
   * Decodes a frame, or a list of frames handed over at once (an SSE chunk's events, a cross-tab
   * batch), and hands each subscriber the events it accepts: one call per subscriber for the whole
   * list, since each call costs a routing and a cache pass (an SSE stream ran at 0.45× a bare
   * client with a call per event, 0.6× with one per chunk).
   */
  dispatch(data: unknown, subscribers: readonly FrameSubscriber<unknown>[]): void {
    // One batch per subscriber, made only when it gets something: this runs for every frame.
    const batches: (unknown[] | undefined)[] = new Array(subscribers.length)
    // A list's text frames are decoded first, all of them, then each frame handed on in order: one
    // step run over many frames in a row is faster than every step frame by frame (an SSE stream of
    // 130-byte events: 0.95 → 0.81 µs an event, JSON.parse itself 0.38 → 0.32 µs). Decoding text
    // calls nothing of the app's (binary frames, whose reader is the app's, wait their turn): every
    // callback still comes in the frames' order.
    if (Array.isArray(data)) {
      const frames = [...data]
      frames.map((frame) => typeof frame === 'string' && this.#decode(frame)).forEach((decoded, i) => this.#frame(frames[i], subscribers, batches, decoded))
    } else this.#frame(data, subscribers, batches)
    subscribers.forEach((sub, i) => batches[i] && this.#call(sub.onEvents, batches[i]))
  }

  /** Runs a subscriber's callback: what it throws goes to `onCallbackError`, never out of `dispatch`. */
  #call<T>(callback: ((value: T) => void) | undefined, value: T): boolean {
    try {
      callback?.(value)
    } catch (error) {
      this.#options.onCallbackError(error)
    }
    return !!callback
  }

  /** One frame's messages into `batches`; `pre`: its decoding, when its list's was done first. */
  #frame(data: unknown, subscribers: readonly FrameSubscriber<unknown>[], batches: (unknown[] | undefined)[], pre?: Decoded | Failure | false): void {
    this.stats.framesReceived++
    const decoded = pre || this.#decode(data)
    if (!('messages' in decoded)) {
      let taken = false
      if (decoded.binary !== undefined) for (const sub of subscribers) taken = this.#call(sub.onBinary, decoded.binary) || taken
      if (!taken) this.#drop(decoded.reason, decoded.message, decoded.sample)
      return
    }
    const { discriminator, controlTypes, resumeParam: resume } = this.#options
    const count = subscribers.length
    for (const message of decoded.messages) {
      if (!isRecord(message)) {
        this.#drop('not_an_object', 'message is not a JSON object', () => sampleOf(decoded, message))
        continue
      }
      const name = nameOf(message, discriminator)
      if (controlTypes.includes(name as string)) {
        this.#onControl?.(message)
        continue
      }
      // The server's answer to a message it did not take (see `CloseCode`).
      if (name === 'client_error') {
        // One component's bad message: said to whoever listens, and the socket stays.
        // Server values as text without `String()`, which throws on `{"toString":1}`.
        this.#drop('rejected', `server rejected ${textOf(message.messageType ?? 'a message')}: ${textOf(message.reason)}`, () => sampleOf(decoded, message))
        continue
      }
      if (count === 0) continue
      // Subscribers usually share one schema: validate once per distinct schema.
      let lastSchema: EventSchema<unknown> | undefined
      let lastResult: StandardResult<unknown> | undefined
      let accepted = false
      let failure: { reason: EventErrorReason; message: string } | undefined
      for (let i = 0; i < count; i++) {
        const sub = subscribers[i]!
        let value: unknown = message
        if (sub.schema) {
          if (sub.schema !== lastSchema) {
            lastSchema = sub.schema
            lastResult = validateNow(sub.schema, message, this.#options.onCallbackError)
          }
          const result = lastResult!
          if (result.issues) {
            const field = sub.discriminator ?? discriminator
            // Another channel's message on a socket they share: not this subscriber's to report.
            if (failure?.reason !== 'schema_mismatch' && !this.#known(sub, message[field])) {
              failure = this.#classify(result.issues, message[field], field)
            }
            continue
          }
          value = result.value
        }
        // `[value]`, not `[]` and a push: V8 gives an empty array's first push room for 17.
        const batch = batches[i]
        if (batch) batch.push(value)
        else batches[i] = [value]
        accepted = true
      }
      if (accepted) {
        this.stats.eventsDelivered++
        // Only a message something took moves the resume point: an unknown one may carry anything.
        // A plain string where the code belongs (JavaScript, no `resumeBySeq`) resumes nothing rather than throw here.
        if (resume?.next) this.maxSeq = resume.next(this.maxSeq, message)
      } else if (failure) this.#drop(failure.reason, failure.message, () => sampleOf(decoded, message))
    }
  }

  /** Whether `type` is one of the subscriber's `knownTypes`: an app's list, read per message (a getter may throw, a Set is not a list). */
  #known(sub: FrameSubscriber<unknown>, type: unknown): boolean {
    try {
      const known = sub.knownTypes
      return Array.isArray(known) && known.includes(type)
    } catch (error) {
      this.#options.onCallbackError(error)
      return false
    }
  }

  /** A frame's messages, or why it was dropped. */
  #decode(data: unknown): Decoded | Failure {
    const { maxPayloadBytes: limit, maxNestingDepth = transportDefaults.maxNestingDepth!, binaryFrames, discriminator } = this.#options
    let text: string | undefined
    if (typeof data === 'string') {
      text = data
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      // A binary frame is not an event (an image preview), nor a sign that one was lost, unless the
      // backend sends its JSON that way and the reader takes it: then the limits below apply to
      // the text (an oversized one may have been an event), while console output of any size stays
      // binary for a channel's `decodeBinary`.
      if (!binaryFrames) return process.env.NODE_ENV !== 'production' ? ignoredBinary(data, binaryHint) : ignoredBinary(data)
      try {
        text = binaryFrames(data, limit, maxNestingDepth)
      } catch (error) {
        this.#options.onCallbackError(error)
      }
      if (typeof text !== 'string') return ignoredBinary(data)
    } else {
      const skipped = (data as OversizedFrame | null)?.oversizedChars
      return typeof skipped === 'number' ? tooLarge(skipped, limit) : ignoredBinary(data ?? null)
    }
    // The JS length is a lower bound of the UTF-8 length and three times it an upper bound: most
    // frames are decided without counting, and only frames near the limit pay for an encoding.
    const bytes = text.length > limit || text.length * 3 <= limit ? text.length : new TextEncoder().encode(text).length
    if (bytes > limit) return tooLarge(bytes, limit)

    // Parse time grows with nesting far more than with length (400k levels: 0.4 s): measure first.
    const scanned = scan(text, maxNestingDepth)
    if (scanned < 0) return fail('too_large', `frame nests deeper than maxNestingDepth (${maxNestingDepth})`, text)
    let parsed: unknown
    try {
      // A reviver walks every value: only pay for it when a dangerous key may be there.
      parsed = scanned === 1 ? JSON.parse(text, dropDangerousKeys) : JSON.parse(text)
    } catch (error) {
      return fail('invalid_json', `frame is not JSON (${error instanceof Error ? error.message : 'parse error'})`, text)
    }
    // Envelopes that carry many messages: the reference server's `batch`, a dialect's own, named
    // by the discriminator (`{"kind":"many"}`) or by `type`, as control messages are.
    let list = ''
    // Pairs read by index, not destructured: this runs for every frame.
    if (isRecord(parsed)) for (const pair of this.#batchLists) if (Array.isArray(parsed[pair[1]]) && nameOf(parsed, discriminator) === pair[0]) list = pair[1]
    return list ? unpack(parsed as Record<string, unknown>, list, discriminator, text.length) : { messages: [parsed], text }
  }

  #classify(issues: Exclude<StandardResult<unknown>['issues'], undefined>, type: unknown, discriminator: string): { reason: EventErrorReason; message: string } {
    try {
      const onlyDiscriminator = typeof type === 'string' && issues.length > 0 && issues.every((issue) => issue.path?.length === 1 && keyOf(issue.path[0]) === discriminator)
      if (onlyDiscriminator) return { reason: 'unknown_type', message: `unknown ${discriminator} "${redactShort(type, this.#token(), 60)}"` }
      const first = issues[0]
      const where = first?.path?.length ? first.path.map((segment) => textOf(keyOf(segment))).join('.') : '(root)'
      return { reason: 'schema_mismatch', message: `${where}: ${textOf(first?.message ?? 'invalid')}` }
    } catch {
      // Issues off the spec from a hand-written validator (a string path, a hole, not a list): what
      // throws here would escape the socket's message handler.
      return { reason: 'schema_mismatch', message: '(root): invalid' }
    }
  }

  /** `sample` may be lazy: serialising a rejected message is only worth it when someone listens. */
  #drop(reason: EventErrorReason, message: string, sample: string | (() => string)): void {
    this.stats.dropped[reason]++
    const report = this.#options.onEventError
    if (!report) return
    const token = this.#token()
    this.#call(report, { reason, message: redactShort(message, token, 300), sample: redactShort(typeof sample === 'function' ? sample() : sample, token), url: this.#url })
  }
}

/**
 * One pass over a frame's text before it is parsed: `-1` when it nests deeper than `maxDepth`, `1`
 * when it may hold a dangerous key (under any spelling: `"\u005f_proto__"` is `"__proto__"` once
 * parsed), `0` otherwise.
 */
export function scan(text: string, maxDepth: number): number {
  // Most frames have no escape and fewer brackets than `maxDepth`: native searches decide them
  // (any mention of a dangerous name buys the reviver), where the walk below costs most of a
  // JSON.parse of the frame.
  if (text.indexOf('\\') === -1 && fewerOpenings(text, maxDepth)) return +mentionsDangerousKey.test(text)
  let depth = 0
  let suspicious = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      const start = i
      let escaped = false
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 34) break
        if (d === 92 /* \\ */) {
          escaped = true
          i++
        }
      }
      // Escapes can spell a dangerous key (six characters each at most): any short escaped string
      // buys the walk. Unescaped, only the names themselves do.
      const length = i - start - 1
      if (escaped ? length >= 9 && length <= 66 : (length === 9 || length === 11) && dangerousKeys.includes(text.slice(start + 1, i))) suspicious = 1
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) return -1
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--
  }
  return suspicious
}

/** Whether `text` has at most `max` of `{` and `[`, strings included: then it cannot nest deeper. */
function fewerOpenings(text: string, max: number): boolean {
  let count = 0
  for (let i = text.indexOf('{'); i !== -1 && count <= max; i = text.indexOf('{', i + 1)) count++
  for (let i = text.indexOf('['); i !== -1 && count <= max; i = text.indexOf('[', i + 1)) count++
  return count <= max
}

/** Reviver that deletes dangerous keys at every level (the depth is bounded by `scan`). */
const dropDangerousKeys = (key: string, value: unknown) => (dangerousKeys.includes(key) ? undefined : value)

/**
 * A batch's messages, each with the envelope's own fields (the app builder's `projectId` and
 * `sessionId` around `updates`) that it does not set itself, so a channel can still tell batches
 * apart. The envelope's `seq` numbers the batch, not its messages, and its name (`type`, the
 * discriminator) is not theirs: neither is copied. Copies are bounded by the frame's length: a
 * thousand fields around forty thousand empty messages (129 KB) were 40 million copies, 327 MB.
 */
function unpack(envelope: Record<string, unknown>, listKey: string, discriminator: string, maxCopies: number): Decoded | Failure {
  const { type, [discriminator]: name, seq, [listKey]: list, ...shared } = envelope
  const messages = list as unknown[]
  const copies = Object.keys(shared).length * messages.length
  if (copies > maxCopies) return fail('too_large', `batch envelope would copy ${copies} fields into its messages, more than the frame has characters (${maxCopies})`)
  return { messages: copies > 0 ? messages.map((message) => (isRecord(message) ? { ...shared, ...message } : message)) : messages }
}

/** What a validator that threw is taken to have said (the error itself goes to `onError`). */
const validatorThrew: StandardResult<never> = { issues: [] }
// Why, for developers: production builds keep what happened.
const validatesAsync: StandardResult<never> = {
  issues: [{ message: `the schema answered asynchronously${process.env.NODE_ENV !== 'production' ? ' (an async check, or a zod transform that threw); events need a synchronous answer' : ''}` }],
}

/**
 * A Standard Schema's answer for one message, now: events are handled synchronously. An
 * asynchronous validator (a promise or any thenable) refuses every message, and its promise's
 * rejection goes to `onError`, never unhandled (zod answers a transform that throws this way). A
 * validator that throws, or answers nothing, refuses this message (a throw goes to `onError`).
 * The frame decoder and the reference server both validate through it.
 */
export function validateNow<T>(schema: EventSchema<T>, message: unknown, onError: (error: unknown) => void): StandardResult<T> {
  try {
    // Loosely typed: a validator may answer a result, a promise (or any thenable), or nothing.
    const result: any = schema['~standard'].validate(message)
    // A validator that answers nothing (or not an object) refuses: reading its `issues` would throw.
    if (typeof result?.then !== 'function') return typeof result === 'object' && result ? result : validatorThrew
    result.then(undefined, onError)
    return validatesAsync
  } catch (error) {
    onError(error)
    return validatorThrew
  }
}
/** A Standard Schema path segment: a key, or `{ key }`. */
const keyOf = (segment: unknown) => (typeof segment === 'object' && segment !== null ? (segment as { key: PropertyKey }).key : segment)

const textOf = (value: unknown) => (typeof value === 'string' ? value : safeStringify(value))

/** The frame itself, unless the message came out of a batch. */
const sampleOf = (decoded: Decoded, message: unknown) => decoded.text ?? safeStringify(message)

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value
  } catch {
    // Too deep or cyclic: even String(value) can overflow the stack on such input.
    return `[unserialisable ${Array.isArray(value) ? 'array' : typeof value}]`
  }
}
