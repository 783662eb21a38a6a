/** Dates arrive as ISO strings or epoch numbers; anything unreadable becomes `fallback`. */
export function toDate(value: unknown, fallback: Date): Date {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? fallback : value
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(typeof value === 'number' && value < 1e12 ? value * 1000 : value)
    return Number.isNaN(date.getTime()) ? fallback : date
  }
  return fallback
}

/** The largest epoch ms a `Date` holds: beyond it `new Date(ms)` is an Invalid Date. */
const MAX_DATE_MS = 8.64e15

/**
 * A server's timestamp (ISO string, or epoch seconds or ms) as epoch ms; `undefined` when absent or
 * unreadable (including numbers no `Date` can hold). Only ever compared with other server
 * timestamps, never with this machine's clock.
 */
export function serverTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime()
  if (typeof value === 'number') {
    const ms = value < 1e12 ? value * 1000 : value
    return Math.abs(ms) <= MAX_DATE_MS ? ms : undefined
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value)
    return Number.isNaN(ms) ? undefined : ms
  }
  return undefined
}

/** The larger of two optional counters: counters never go backwards. */
export function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}

// Defined with the transport, whose option merging uses it too (the transport imports nothing from here).
export { compact } from '../transport/compact'
