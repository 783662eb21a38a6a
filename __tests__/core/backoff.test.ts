import { expect, test } from 'vitest'
import { backoffDelayMs } from '../../src/transport'

test('1,000 draws per attempt all lie within [half, all] of the capped exponential', () => {
  const initialDelayMs = 1000
  const maxDelayMs = 30_000
  let seed = 42
  // A seeded generator keeps a failure reproducible.
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let attempt = 1; attempt <= 12; attempt++) {
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1))
    const draws = Array.from({ length: 1000 }, () => backoffDelayMs(attempt, initialDelayMs, maxDelayMs, random))
    for (const delay of draws) {
      expect(delay).toBeGreaterThanOrEqual(base / 2)
      expect(delay).toBeLessThanOrEqual(base)
    }
    // Jitter actually spreads clients out: the draws cover most of the allowed range.
    const spread = Math.max(...draws) - Math.min(...draws)
    expect(spread).toBeGreaterThan((base / 2) * 0.9)
  }
})

test('with Math.random too, across custom bounds', () => {
  for (let i = 0; i < 1000; i++) {
    const attempt = 1 + (i % 15)
    const base = Math.min(5000, 200 * 2 ** (attempt - 1))
    const delay = backoffDelayMs(attempt, 200, 5000)
    expect(delay).toBeGreaterThanOrEqual(base / 2)
    expect(delay).toBeLessThanOrEqual(base)
  }
})

test('huge attempt numbers stay at the cap', () => {
  expect(backoffDelayMs(10_000, 1000, 30_000, () => 0.999)).toBeLessThanOrEqual(30_000)
  expect(backoffDelayMs(10_000, 1000, 30_000, () => 0)).toBe(15_000)
})
