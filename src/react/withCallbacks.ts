/**
 * The factory's options with the caller's on top, where both callbacks run (the factory's first:
 * its optimistic row and rollback must not depend on what the caller's callback does).
 */
export function withCallbacks<T extends { onMutate?: unknown; onSuccess?: unknown; onError?: unknown }>(base: T, extra: object): T {
  const merged: Record<string, unknown> = { ...extra, ...base }
  for (const name of ['onSuccess', 'onError', 'onSettled'] as const) {
    const own = base[name as keyof T] as ((...args: unknown[]) => unknown) | undefined
    const theirs = (extra as Record<string, unknown>)[name] as ((...args: unknown[]) => unknown) | undefined
    if (own && theirs) merged[name] = async (...args: unknown[]) => {
      await own(...args)
      return theirs(...args)
    }
    else merged[name] = own ?? theirs
  }
  return merged as T
}
