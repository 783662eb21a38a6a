import { performance } from 'node:perf_hooks'

/**
 * Sends `count` items at one per millisecond by the clock, as a server producing 1,000 events a
 * second does: item `i` goes out `i` ms after the first, each in a task of its own. Waiting a 1 ms
 * timer per item (as the bench did until 2026-12-07) measured another rate: Node's 1 ms timers fire
 * after 1.1–1.5 ms, more on a busy machine, so 1,150 events took up to 1.5 s and the frames
 * elapsed (the bound of the commits) grew with the machine's load. Items that fell due while a
 * timer was late go out one per task (a macrotask apart), as a socket hands over a backlog.
 */
export async function pacePerMs(count: number, send: (i: number) => void): Promise<void> {
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    send(i)
    if (performance.now() - start < i + 1) await new Promise((resolve) => setTimeout(resolve, 1))
    else await new Promise((resolve) => setImmediate(resolve))
  }
}
