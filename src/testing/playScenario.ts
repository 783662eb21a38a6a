/** One step of a scripted scenario: wait `afterMs` (scaled by speed), then run. */
export interface ScenarioStep {
  afterMs: number
  run: () => void
}

/**
 * Plays `steps` in order with real (or fake) timers. `speed` 2 plays twice as fast. Returns a
 * promise for the end and a `stop()` that cancels what is left.
 */
export function playScenario(steps: readonly ScenarioStep[], options: { speed?: number } = {}) {
  const speed = options.speed && options.speed > 0 ? options.speed : 1
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const done = new Promise<void>((resolve) => {
    const next = (index: number) => {
      if (stopped || index >= steps.length) return resolve()
      const step = steps[index]!
      timer = setTimeout(() => {
        if (stopped) return resolve()
        step.run()
        next(index + 1)
      }, step.afterMs / speed)
    }
    next(0)
  })
  return {
    done,
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}

/** Steps that run `run(item)` for each item, `everyMs` apart. */
export const every = <T>(items: readonly T[], everyMs: number, run: (item: T, index: number) => void): ScenarioStep[] =>
  items.map((item, index) => ({ afterMs: everyMs, run: () => run(item, index) }))
