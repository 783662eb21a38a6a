/**
 * Debian's redis-server as the tests, the bench and `npm run demo:cluster` start it: on a free
 * loopback port, no persistence (nothing written to disk), stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isCi } from './chromium'
import { freePort } from './freePort'

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'
export const haveRedis = existsSync(REDIS_SERVER)


/** Fails loudly in CI when Debian's redis-server is missing (`.ci/run` installs it). */
export function requireRedisInCi(): void {
  if (!haveRedis && isCi) {
    throw new Error(`[redis] redis-server not found at ${REDIS_SERVER}: .ci/run installs it with apt-get (package "redis-server").`)
  }
}

export interface StartRedisOptions {
  /**
   * Its own process group: a Ctrl-C in the terminal then reaches only the parent, which stops
   * Redis last, after its instances have drained (they still need it while draining).
   * @default false
   */
  ownProcessGroup?: boolean
}

/**
 * Debian's redis-server on a free loopback port, no persistence: `kill()` (SIGKILL, like a crash)
 * and `start()` again on the same port; `stop()` shuts it down (SIGTERM, SIGKILL after 5 s).
 */
export async function startRedis(options: StartRedisOptions = {}) {
  const port = await freePort()
  let child: ChildProcess | null = null
  const start = async () => {
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += String(chunk)
        if (output.includes('Ready to accept connections')) {
          proc.stdout!.off('data', onData)
          // Keep draining its output so a chatty Redis never blocks on a full pipe.
          proc.stdout!.resume()
          proc.stderr!.resume()
          resolve()
        }
      }
      proc.stdout!.on('data', onData)
      proc.once('error', reject)
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
    })
  }
  const end = async (signal: NodeJS.Signals) => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill(signal)
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** The running redis-server's process id (undefined once stopped). */
    get pid(): number | undefined {
      return child?.pid
    },
    start,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  }
}

export type RedisProcess = Awaited<ReturnType<typeof startRedis>>
