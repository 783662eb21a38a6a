import type { StandardSchemaV1 } from '../transport/types'

/**
 * The validators of the built-in channels: a few Standard Schema v1 combinators, so the package
 * validates its own events without shipping a schema library into every app. What an app passes
 * for its own channels stays any Standard Schema (zod 4 first).
 *
 * A validator is a function `(value, issues) => output` carrying `~standard`: combinators call
 * each other directly (no result objects on the success path) and the public `validate` wraps the
 * outermost call. Outputs are the inputs themselves (a frame's parsed object reaches the cache
 * without a copy); only a filled-in default copies, and only the containers on its path.
 */


/** One problem, as Standard Schema reports it: `path` from the validated value down. */
export interface Issue {
  readonly message: string
  readonly path: PropertyKey[]
}

/**
 * A validator of this toolkit. Called as a check it appends its issues (paths relative to
 * `value`) to `issues` and returns the output, which is meaningless when it appended any.
 */
export interface Schema<T> extends StandardSchemaV1<unknown, T> {
  (value: unknown, issues: Issue[]): T
}

/** What a validator outputs. */
export type Infer<S> = S extends Schema<infer T> ? T : never

type Shape = Record<string, Schema<unknown>>
type Flat<T> = { [K in keyof T]: T[K] }
/** A loose object's output: keys that accept `undefined` are optional, unknown keys are kept. */
export type LooseObject<S extends Shape> = Flat<
  { [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]> } & {
    [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]>
  } & { [key: string]: unknown }
>

type Check = (value: any, issues: Issue[]) => any

/** Runs a validator of this toolkit, synchronously: its output, or its issues. */
export const run = <T>(check: Schema<T>, value: unknown) => check['~standard'].validate(value) as { value: T; issues?: undefined } | { issues: Issue[] }

/** The issues of the validation under way: validation is synchronous, so one array serves every frame. */
const scratch: Issue[] = []

const schema = (check: Check): Schema<any> => {
  // What the frame decoder calls for every message: the success path allocates only its answer.
  const validate = (value: unknown): { value: unknown; issues?: undefined } | { issues: Issue[] } => {
    // Empty unless a check threw mid-way: a length write per frame showed in profiles.
    if (scratch.length) scratch.length = 0
    const data = check(value, scratch)
    return scratch.length === 0 ? { value: data } : { issues: scratch.splice(0) }
  }
  return Object.assign(check, { '~standard': { version: 1 as const, vendor: 'live-status', validate } })
}

const fail = (issues: Issue[], expected: string, value: unknown) => {
  // Numbers are shown (NaN, -1 and Infinity are the usual culprits); strings are not, as they may be long or secret.
  issues.push({ message: `expected ${expected}, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value == 'number' ? 'number ' + value : typeof value}`, path: [] })
}

/**
 * Checks `container[key]`; on issues prefixes their paths with `key` (paths are built on failure
 * only, so a valid value allocates nothing). Every issue is kept, not the first: the frame decoder
 * reports an unknown type only when `type` is the sole issue, as with zod. Returns the container, or
 * a copy of it when the child's output differs from its input (a default filled in).
 */
const child = (out: any, input: any, key: PropertyKey, check: Check, issues: Issue[]) => {
  const n = issues.length
  const value = input[key]
  const result = check(value, issues)
  if (issues.length > n) for (let i = n; i < issues.length; i++) issues[i]!.path.unshift(key)
  else if (result !== value) (out === input ? (out = Array.isArray(input) ? [...input] : { ...input }) : out)[key] = result
  return out
}

/** A value `test` accepts; `expected` names it in issues. */
export const is = <T>(test: (value: unknown) => boolean, expected: string): Schema<T> =>
  schema((value, issues) => (test(value) ? value : fail(issues, expected, value)))

/** A string, any. */
export const string: Schema<string> = /* @__PURE__ */ is((value) => typeof value == 'string', 'string')

/** A finite number: NaN and ±Infinity are refused, as zod 4's `z.number()` does. */
export const number: Schema<number> = /* @__PURE__ */ is(Number.isFinite, 'number')

/** A finite number ≥ 0 (zod's `z.number().nonnegative()`). */
export const count: Schema<number> = /* @__PURE__ */ is((value) => Number.isFinite(value) && (value as number) >= 0, 'number ≥ 0')

/** A safe integer ≥ 0 (zod's `z.number().int().nonnegative()`: `.int()` is safe-integer only). */
export const integer: Schema<number> = /* @__PURE__ */ is((value) => Number.isSafeInteger(value) && (value as number) >= 0, 'integer ≥ 0')

/** Anything: for values the channels pass along unread (scan warnings). */
export const unknown: Schema<unknown> = /* @__PURE__ */ schema((value) => value)

/**
 * One of `values` (zod's `z.enum`). A short list searched rather than a Set: a Set hashes every
 * event's type, a string new to it (a fifth of the check of a 130-byte event). Every list given
 * here is a constant.
 */
export const oneOf = <const V extends readonly string[]>(values: V): Schema<V[number]> =>
  is((value) => values.includes(value as string), `one of ${values.join('|')}`)

/** `undefined` or `inner` (zod's `.optional()`); `null` is refused, as the dialects never send it there. */
export const optional = <T>(inner: Schema<T>): Schema<T | undefined> => schema((value, issues) => (value === undefined ? value : inner(value, issues)))

/** `null`, `undefined` or `inner` (zod's `.nullish()`): servers write absent fields both ways. */
export const nullish = <T>(inner: Schema<T>): Schema<T | null | undefined> => schema((value, issues) => (value == null ? value : inner(value, issues)))

/** `undefined` becomes `fallback`, unchecked (zod's `.default()`). */
export const withDefault = <T>(inner: Schema<T>, fallback: T): Schema<T> =>
  schema((value, issues) => (value === undefined ? fallback : inner(value, issues)))

const isObject = (value: unknown): value is Record<string, unknown> => typeof value == 'object' && value !== null && !Array.isArray(value)

/** An object whose `shape` keys are checked and whose other keys are kept (zod's `z.looseObject`). */
export const looseObject = <S extends Shape>(shape: S): Schema<LooseObject<S>> => {
  // Arrays, not the shape object: an indexed loop over them beats keyed lookups in the hot path.
  const keys = Object.keys(shape)
  const checks = Object.values(shape)
  // Keys visited whatever the value holds (required ones, and ones whose check fills in a
  // default), and the other keys' checks, looked up by the keys a value has.
  const always: number[] = []
  const others = new Map<string, Check>()
  checks.forEach((check, i) => {
    const probe: Issue[] = []
    if (check(undefined, probe) !== undefined || probe.length > 0) always.push(i)
    else others.set(keys[i]!, check)
  })
  // Made here, not in the check: a function made inside it would have every call allocate its scope.
  const ordered = (value: Record<string, unknown>, issues: Issue[]) => keys.reduce((out, key, i) => child(out, value, key, checks[i]!, issues), value)
  // The key met at each place of the last value, and its check: values of one kind list their keys
  // alike, so most keys need no lookup (one per key cost a third of the check of an event). The
  // first 64 places only, and keys of 64 characters at most: a hostile frame's thousands of keys,
  // or its megabyte-long ones, are not kept.
  const seen: string[] = []
  const found: (Check | undefined)[] = []
  return schema((value, issues) => {
    if (!isObject(value)) return fail(issues, 'object', value)
    // Most keys of a loose shape are optional and absent from a given event: check the keys the
    // value has, and the required ones. Only when something is wrong does the walk in shape order
    // run, so that issues come in the order zod gives them.
    const before = issues.length
    let out = value
    for (const i of always) out = child(out, value, keys[i]!, checks[i]!, issues)
    let k = 0
    for (const key in value) {
      let check = found[k]
      if (seen[k] !== key) {
        check = others.get(key)
        if (k < 64 && key.length <= 64) {
          seen[k] = key
          found[k] = check
        }
      }
      k++
      if (check) out = child(out, value, key, check, issues)
    }
    if (issues.length === before) return out
    issues.length = before
    return ordered(value, issues)
  })
}

/** A plain object of any values (zod's `z.record(z.string(), z.unknown())`: class instances are refused). */
export const record: Schema<Record<string, unknown>> = /* @__PURE__ */ is(
  // `includes` compares a prototype (an object or null) as `===` does.
  (value) => isObject(value) && [null, Object.prototype].includes(Object.getPrototypeOf(value)),
  'object',
)

/** An array of `item`s; issue paths carry the index. */
export const array = <T>(item: Schema<T>): Schema<T[]> =>
  schema((value, issues) => {
    if (!Array.isArray(value)) return fail(issues, 'array', value)
    let out = value
    // Unknown items need no walk.
    if (item !== unknown) for (let i = 0; i < value.length; i++) out = child(out, value, i, item, issues)
    return out
  })
