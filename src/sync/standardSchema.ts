import type { StandardSchemaV1 } from '../transport/types'

export type { StandardSchemaV1 }

/** Whatever validates events: any Standard Schema (zod 4 first), validating synchronously. */
export type SchemaLike<T> = StandardSchemaV1<unknown, T>

/** The `safeParse` form, for the reference server's own checks (the client validates through `~standard`). */
interface SafeParse<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ code: string; path: ReadonlyArray<PropertyKey>; message: string }> } }
}

const adapted = new WeakMap<object, SafeParse<unknown>>()

/**
 * The `safeParse` form, for the reference server: the same schema always gives the same adapter.
 * Asynchronous validators are refused: events are handled synchronously.
 */
export function toEventSchema<T>(schema: SchemaLike<T> | SafeParse<T>): SafeParse<T> {
  if (typeof (schema as SafeParse<T>).safeParse === 'function') return schema as SafeParse<T>
  const known = adapted.get(schema)
  if (known) return known as SafeParse<T>
  const standard = (schema as StandardSchemaV1<unknown, T>)['~standard']
  const adapter: SafeParse<T> = {
    safeParse(input) {
      const result = standard.validate(input)
      if (result instanceof Promise) {
        return { success: false, error: { issues: [{ code: 'async', path: [], message: `[live-status] the ${standard.vendor} schema validates asynchronously; events need a synchronous one` }] } }
      }
      if (!result.issues) return { success: true, data: result.value }
      return {
        success: false,
        error: {
          issues: result.issues.map((issue) => ({
            code: 'invalid',
            path: (issue.path ?? []).map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment)),
            message: issue.message,
          })),
        },
      }
    },
  }
  adapted.set(schema, adapter as SafeParse<unknown>)
  return adapter
}
