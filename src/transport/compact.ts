/**
 * A copy without the keys whose value is undefined, so cached objects compare and print cleanly,
 * and an option passed through as `undefined` hides no default. A copy, not `delete`: an object
 * that had keys deleted is slower to read (the reducers' output is read on every render).
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) if (value[key as keyof T] !== undefined) out[key] = value[key as keyof T]
  return out as T
}
