/** A key: a non-empty string, or a finite number as its text. */
const keyOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined

/**
 * The key the route handler counts a user's streams under when no `userKey` is given: the user's
 * `id`, `sub` or `userId` (a non-empty string or a finite number: a database row, a JWT payload),
 * or the user itself when it is one. The reference server keys its per-user limit the same way.
 * `undefined` when there is none.
 */
export function defaultUserKey(user: unknown): string | undefined {
  if (typeof user !== 'object' || user === null) return keyOf(user)
  const { id, sub, userId } = user as { id?: unknown; sub?: unknown; userId?: unknown }
  return keyOf(id) ?? keyOf(sub) ?? keyOf(userId)
}

/**
 * The open streams of each user on one route handler: its `maxStreamsPerUser` cap. A slot is
 * taken when a stream is admitted and given back once, however the stream ends; users are
 * forgotten at zero, so it never grows.
 */
export class UserStreams<User> {
  readonly #held = new Map<string, number>()
  readonly #max: number
  readonly #userKey: ((user: User) => string | number) | undefined
  #warned = false

  constructor(max: number, userKey?: (user: User) => string | number) {
    this.#max = max
    this.#userKey = userKey
  }

  /**
   * A slot for one stream of `user`: the function that gives it back (calling it again does
   * nothing), or null when the user holds `max` already. With the default key, a user that has
   * none is not counted (a release that does nothing), and `onUnkeyed` is called for the first
   * such user only. Throws what `userKey` throws, and a `TypeError` when it answers no key.
   */
  take(user: User, onUnkeyed: () => void): (() => void) | null {
    const key = this.#userKey ? keyOf(this.#userKey(user)) : defaultUserKey(user)
    if (key === undefined) {
      if (this.#userKey) throw new TypeError('`userKey(user)` must return a non-empty string or a finite number')
      if (!this.#warned) {
        this.#warned = true
        onUnkeyed()
      }
      return () => {}
    }
    const held = this.#held.get(key) ?? 0
    if (held >= this.#max) return null
    this.#held.set(key, held + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.#held.get(key) ?? 1) - 1
      if (left <= 0) this.#held.delete(key)
      else this.#held.set(key, left)
    }
  }
}
