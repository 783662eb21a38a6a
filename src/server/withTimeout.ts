/**
 * `promise`, or what `onTimeout` gives (or throws) once `timeoutMs` has passed first. The timer is
 * cleared either way, so a settled race keeps no process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => T, { unref = false } = {}): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout())
      } catch (error) {
        reject(error)
      }
    }, timeoutMs)
    // `unref`: a deadline that must not keep the process alive by itself (a recheck's, after `close()`).
    if (unref) timer.unref?.()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
