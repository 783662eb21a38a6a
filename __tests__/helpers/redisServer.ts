import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from './freePort'
import { existsSync } from 'node:fs'

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'
export const haveRedis = existsSync(REDIS_SERVER)

/** Fails loudly in CI when Debian's redis-server is missing (`.ci/run` installs it). */
export function requireRedisInCi(): void {
  if (!haveRedis && (process.env.CI === 'true' || process.env.CI === '1')) {
    throw new Error(`[redis] redis-server not found at ${REDIS_SERVER}: .ci/run installs it with apt-get (package "redis-server").`)
  }
}

/**
 * Debian's redis-server on a free loopback port, no persistence: `kill()` (SIGKILL, like a crash)
 * and `start()` again on the same port.
 */
export async function startRedis() {
  const port = await freePort()
  let child: ChildProcess | null = null
  const start = async () => {
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += String(chunk)
        if (output.includes('Ready to accept connections')) {
          proc.stdout!.off('data', onData)
          resolve()
        }
      }
      proc.stdout!.on('data', onData)
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
    })
  }
  const kill = async () => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, start, kill }
}
