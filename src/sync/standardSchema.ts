import type { StandardSchemaV1 } from '../transport/types'

export type { StandardSchemaV1 }

/** Whatever validates events: any Standard Schema (zod 4 first), validating synchronously. */
export type SchemaLike<T> = StandardSchemaV1<unknown, T>
