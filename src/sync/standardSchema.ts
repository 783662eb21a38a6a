import type { EventSchema } from '../transport/types'

/** The Standard Schema interface (standardschema.dev), which zod 4, Valibot and ArkType implement. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> }

/** Whatever validates events: a zod-style `safeParse`, or any Standard Schema. */
export type SchemaLike<T> = EventSchema<T> | StandardSchemaV1<unknown, T>

const adapted = new WeakMap<object, EventSchema<unknown>>()

/**
 * The `safeParse` form the frame decoder calls. The same schema always gives the same adapter, so
 * events are still validated once per distinct schema, however many subscribers share it.
 * Asynchronous validators are refused per event: frames are handled synchronously.
 */
export function toEventSchema<T>(schema: SchemaLike<T>): EventSchema<T> {
  if (typeof (schema as EventSchema<T>).safeParse === 'function') return schema as EventSchema<T>
  const known = adapted.get(schema)
  if (known) return known as EventSchema<T>
  const standard = (schema as StandardSchemaV1<unknown, T>)['~standard']
  const adapter: EventSchema<T> = {
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
  adapted.set(schema, adapter as EventSchema<unknown>)
  return adapter
}
