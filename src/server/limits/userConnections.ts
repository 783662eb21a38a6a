/** Sockets held per user id: the per-user limit. Entries are removed at zero, so it never grows. */
export class UserConnections {
  #held = new Map<string, number>()

  /** Takes a slot for `userId`; false when the user holds `max` already. */
  take(userId: string, max: number): boolean {
    const held = this.#held.get(userId) ?? 0
    if (held >= max) return false
    this.#held.set(userId, held + 1)
    return true
  }

  release(userId: string): void {
    const held = (this.#held.get(userId) ?? 1) - 1
    if (held <= 0) this.#held.delete(userId)
    else this.#held.set(userId, held)
  }

  get users(): number {
    return this.#held.size
  }
}
