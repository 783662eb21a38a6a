/**
 * The hand-written validators (src/sync/validate.ts, src/channels/schemas.ts) accept exactly what today's classic zod schemas accept, report
 * issues at the same paths (the frame decoder tells `unknown_type` from `schema_mismatch` by them),
 * and output an equal value, which is the input itself unless zod filled in a default.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import * as Schemas from '../../../src/channels/schemas'
import type { Schema } from '../../../src/sync/validate'
import * as Z from './zodClassic'

// The operation schema with the whole vocabulary the zod one had (the reference protocol's types
// and the document indexer's), as the indexer's dialect builds it.
const S = { ...Schemas, operationEventSchema: Schemas.operationSchemaFor(Z.operationEventTypes) }

type Arb = fc.Arbitrary<unknown>
/** A field's values: `good` ones the schema should accept, `bad` ones it may well not. */
interface Kind {
  good: Arb
  bad: Arb
}

// Values that break things: wrong types, NaN, ±Infinity, negatives, -0, unsafe integers, empty containers.
const garbage: Arb = fc.oneof(
  fc.constantFrom(null, undefined, NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 2 ** 53, -(2 ** 53), '', 'x', true, false, [], {}, [1, 'a'], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
)
const badNumber: Arb = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -0.5, -(2 ** 53), 2 ** 53, 0.5, -Number.MIN_VALUE), fc.integer({ max: -1 }), fc.double())
const kind = (good: Arb, ...bad: Arb[]): Kind => ({ good, bad: fc.oneof(garbage, ...bad) })
/** Also accepts `undefined` (and `null` with `nullish`). */
const optional = (k: Kind): Kind => ({ good: fc.oneof({ weight: 4, arbitrary: k.good }, { weight: 1, arbitrary: fc.constant(undefined) }), bad: k.bad })
const nullish = (k: Kind): Kind => ({ good: fc.oneof({ weight: 4, arbitrary: k.good }, { weight: 1, arbitrary: fc.constantFrom(null, undefined) }), bad: k.bad })

const str = kind(fc.string({ maxLength: 6 }))
const num = kind(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0)), badNumber)
const count = kind(fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 2 ** 60)), badNumber)
const int = kind(fc.oneof(fc.nat(), fc.constantFrom(-0, Number.MAX_SAFE_INTEGER)), badNumber)
const stamp = kind(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), badNumber)
const oneOf = (...values: string[]) => kind(fc.constantFrom(...values), fc.constantFrom('nope', 'TYPE', ''))
const text = nullish(str)
const counter = nullish(count)

/** An object of `fields` (each present or not), with extra unknown keys; `bad` mixes in bad fields or is not an object. */
const object = (fields: Record<string, Kind>, required: string[] = []): Kind => {
  const build = (pick: (k: Kind) => Arb, requiredKeys: string[]) =>
    fc
      .tuple(
        fc.record(Object.fromEntries(Object.entries(fields).map(([key, k]) => [key, pick(k)])), { requiredKeys: requiredKeys as never[] }),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
        fc.boolean(),
      )
      // Extra keys first or last: key order must not matter.
      .map(([known, extra, extraLast]) => (extraLast ? { ...known, ...extra } : { ...extra, ...known }))
  const mixed = (k: Kind) => fc.oneof({ weight: 3, arbitrary: k.good }, { weight: 1, arbitrary: k.bad })
  return { good: build((k) => k.good, required), bad: fc.oneof({ weight: 6, arbitrary: build(mixed, []) }, { weight: 1, arbitrary: garbage }) }
}
const array = (item: Kind): Kind =>
  kind(fc.array(item.good, { maxLength: 4 }), fc.array(fc.oneof(item.good, item.bad), { minLength: 1, maxLength: 4 }))
/** What a schema is tested on: half good, half bad. */
const values = (k: Kind): Arb => fc.oneof(k.good, k.bad)

// record() wants a plain object: null-prototype yes, class instances no.
const metadata = kind(
  fc.oneof(
    fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    fc.constantFrom(Object.create(null), Object.assign(Object.create(null), { processed: 1 }), { constructor: 'x' }, { __proto__: null, a: 1 }),
  ),
  fc.constantFrom(new Date(0), new Map(), [], [{ a: 1 }]),
)

const operationEvent = object(
  {
    type: oneOf(...Z.operationEventTypes),
    operation_id: optional(str),
    operation_type: text,
    status: text,
    message: text,
    error: text,
    error_message: text,
    total_files: counter,
    processed_files: counter,
    failed_files: counter,
    current_file: text,
    processed: counter,
    failed: counter,
    total: counter,
    progress_percent: counter,
    total_files_found: counter,
    source_path: text,
    seq: optional(num),
    timestamp: optional(stamp),
    data: nullish(
      object({
        status: text,
        progress: counter,
        message: text,
        metadata: nullish(metadata),
        operation_id: text,
        operation_type: text,
        error_message: text,
        current_file: text,
        processed: counter,
        failed: counter,
        total: counter,
      }),
    ),
  },
  ['type'],
)

const restOperation = object(
  {
    id: optional(str),
    type: text,
    operation_type: text,
    status: str,
    error_message: text,
    processed_files: counter,
    failed_files: counter,
    total_files: counter,
    current_file: text,
    stage: text,
    progress: counter,
    percent: counter,
    updated_at: nullish(stamp),
    completed_at: nullish(stamp),
    started_at: nullish(stamp),
    created_at: nullish(stamp),
  },
  ['status'],
)

const restState = oneOf('not_indexed', 'pending', 'queued', 'indexing', 'ready', 'complete', 'failed')
const indexEvent = object(
  {
    type: oneOf('index_queued', 'index_started', 'index_complete', 'index_failed', 'index_status'),
    project_id: optional(str),
    branch: text,
    entity_count: nullish(int),
    error: text,
    status: optional(restState),
    seq: optional(num),
    timestamp: optional(stamp),
  },
  ['type'],
)

const restIndex = object(
  {
    project_id: optional(str),
    branch: text,
    status: restState,
    entity_count: nullish(num),
    error_message: text,
    indexed_at: nullish(stamp),
    updated_at: nullish(stamp),
  },
  ['status'],
)

// `size` left out half the time: zod fills in its default.
const scanFile = object({ path: str, size: count, modified: nullish(stamp), extension: text }, ['path'])
const files = nullish(array(scanFile))
const warnings = nullish(kind(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })))

const scanEvent = object(
  {
    type: oneOf('started', 'counting', 'progress', 'warning', 'completed', 'cancelled', 'error'),
    scan_id: optional(str),
    scanned: counter,
    total: counter,
    current_path: text,
    files,
    count: counter,
    total_size: counter,
    warnings,
    message: text,
    data: nullish(
      object({
        files_scanned: counter,
        total_files: counter,
        count: counter,
        percentage: counter,
        current_path: text,
        files,
        total_size: counter,
        warnings,
        message: text,
      }),
    ),
  },
  ['type'],
)

const pairs: Array<[string, Schema<unknown>, z.ZodType, Arb]> = [
  ['operationEventSchema', S.operationEventSchema, Z.operationEventSchema, values(operationEvent)],
  ['restOperationSchema', S.restOperationSchema, Z.restOperationSchema, values(restOperation)],
  ['indexEventSchema', S.indexEventSchema, Z.indexEventSchema, values(indexEvent)],
  ['restIndexSchema', S.restIndexSchema, Z.restIndexSchema, values(restIndex)],
  ['scanEventSchema', S.scanEventSchema, Z.scanEventSchema, values(scanEvent)],
  ['scanFileSchema', S.scanFileSchema, Z.scanFileSchema, values(scanFile)],
]

const validate = (schema: Schema<unknown>, value: unknown) => {
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) throw new Error('async')
  return result
}

describe.each(pairs)('%s', (_name, mine, zod, arb) => {
  it('accepts what zod accepts, with the same output and issue paths', () => {
    let accepted = 0
    let rejected = 0
    fc.assert(
      fc.property(arb, (value) => {
        const theirs = zod.safeParse(value)
        const ours = validate(mine, value)
        expect(ours.issues === undefined).toBe(theirs.success)
        if (theirs.success) {
          accepted++
          expect(ours.issues).toBeUndefined()
          const out = (ours as { value: unknown }).value
          // Cloned: a null-prototype metadata object comes back as is, where zod rebuilds it on Object.prototype.
          expect(structuredClone(out)).toStrictEqual(structuredClone(theirs.data))
          // No copy unless zod's output differs from the input (a filled-in default).
          if (isEqual(theirs.data, value)) expect(out).toBe(value)
        } else {
          rejected++
          // Same paths, in the same order. zod may report one path twice (-2^53 on .int().nonnegative(): unsafe and negative); one issue per value here.
          expect(distinct(ours.issues!.map((issue) => issue.path as PropertyKey[]))).toStrictEqual(distinct(theirs.error.issues.map((issue) => issue.path)))
          for (const issue of ours.issues!) expect(issue.message).toMatch(/^expected .+, got .+$/)
        }
      }),
      { seed: 42, numRuns: 2000 },
    )
    if (process.env.COUNTS) console.log(_name, { accepted, rejected })
    // The generators must exercise both sides.
    expect(accepted).toBeGreaterThan(200)
    expect(rejected).toBeGreaterThan(200)
  })
})

const distinct = (paths: ReadonlyArray<ReadonlyArray<PropertyKey>>) => [...new Map(paths.map((path) => [JSON.stringify(path), path])).values()]

function isEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toStrictEqual(b)
    return true
  } catch {
    return false
  }
}

describe('known differences', () => {
  it('an own __proto__ key (JSON.parse makes one) is kept, where zod drops it; frames arrive without one (the decoder strips it)', () => {
    const value = JSON.parse('{"type":"progress","__proto__":{"polluted":1}}')
    const ours = validate(S.operationEventSchema, value) as { value: Record<string, unknown> }
    const theirs = Z.operationEventSchema.parse(value)
    expect(ours.value).toBe(value)
    expect(Object.hasOwn(ours.value, '__proto__')).toBe(true)
    expect(Object.hasOwn(theirs, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a class instance where a loose object is expected is returned as is; zod copies its own keys into a plain object', () => {
    const date = new Date(0)
    expect((validate(S.scanFileSchema, Object.assign(date, { path: 'a', size: 1 })) as { value: unknown }).value).toBe(date)
    expect(Z.scanFileSchema.parse(date)).toStrictEqual({ path: 'a', size: 1 })
  })

  it('a null-prototype record is returned as is; zod rebuilds it as a plain object', () => {
    const metadata = Object.assign(Object.create(null), { processed: 1 })
    const ours = validate(S.operationEventSchema, { type: 'progress', data: { metadata } }) as { value: { data: { metadata: object } } }
    expect(ours.value.data.metadata).toBe(metadata)
    expect(Object.getPrototypeOf(Z.operationEventSchema.parse({ type: 'progress', data: { metadata } }).data!.metadata)).toBe(Object.prototype)
  })
})

describe('reports', () => {
  it('an unknown type is the only issue, at ["type"], as the frame decoder needs for unknown_type', () => {
    expect(validate(S.operationEventSchema, { type: 'nope', processed: 3 }).issues).toStrictEqual([
      { message: expect.stringMatching(/^expected one of current_state\|.*, got string$/), path: ['type'] },
    ])
  })

  it('nested paths, all issues, numbers shown', () => {
    const issues = validate(S.scanEventSchema, { type: 'nope', files: [{ path: 'a' }, { path: 1, size: -1 }], data: { count: NaN } }).issues
    expect(issues).toStrictEqual([
      { message: expect.stringMatching(/^expected one of /), path: ['type'] },
      { message: 'expected string, got number 1', path: ['files', 1, 'path'] },
      { message: 'expected number ≥ 0, got number -1', path: ['files', 1, 'size'] },
      { message: 'expected number ≥ 0, got number NaN', path: ['data', 'count'] },
    ])
    expect(validate(S.restOperationSchema, []).issues).toStrictEqual([{ message: 'expected object, got array', path: [] }])
  })

  it('a default copies only the containers on its path', () => {
    const event = { type: 'completed', files: [{ path: 'a', size: 1 }, { path: 'b' }], data: { count: 2 } }
    const out = (validate(S.scanEventSchema, event) as { value: typeof event }).value
    expect(out).not.toBe(event)
    expect(out.files).not.toBe(event.files)
    expect(out.files[0]).toBe(event.files[0])
    expect(out.files[1]).toStrictEqual({ path: 'b', size: 0 })
    expect(out.data).toBe(event.data)
    expect(event.files[1]).toStrictEqual({ path: 'b' })
  })
})
