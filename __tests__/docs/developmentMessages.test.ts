/**
 * Issue #20 item 5: messages and checks for developers are in development builds only, the way
 * React and TanStack do it (`process.env.NODE_ENV`), so production bundles carry none of them.
 */
import { build } from 'esbuild'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { defineChannel, SocketHub } from '../../src/core'
import { fakeSource } from '../helpers/fakeSources'

const devOnly = ['failed 3 times before it opened', 'the access token was refused', 'defineChannel(']

async function bundle(nodeEnv: 'production' | 'development') {
  const result = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query', '@tanstack/query-core', 'zod'],
    define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

test('a production bundle of the React entry has none of the development messages; a development one has them all', async () => {
  const [production, development] = await Promise.all([bundle('production'), bundle('development')])
  for (const message of devOnly) {
    expect(production, message).not.toContain(message)
    expect(development, message).toContain(message)
  }
})

test('defineChannel says what is missing, in development', () => {
  expect(() => defineChannel({ name: 'half' } as never)).toThrow(/defineChannel\("half"\): missing queryKey, socket, reduce, fetch, isActive, schema/)
})

describe('a socket that fails before it opens', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  test('3 failed handshakes in a row: one warning naming the likely causes, never the token', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    // What a browser shows for a refused upgrade (404, 403 for the origin, 401): a bare 1006.
    class Refused {
      readyState = 0
      onopen = null
      onmessage = null
      onerror: (() => void) | null = null
      onclose: ((event: { code: number; reason: string }) => void) | null = null
      constructor() {
        setTimeout(() => {
          this.readyState = 3
          this.onerror?.()
          this.onclose?.({ code: 1006, reason: '' })
        }, 5)
      }
      send() {}
      close() {}
    }
    const hub = new SocketHub({ token: 'secret-token-123', WebSocket: Refused, onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1 })
    const lease = hub.acquire('ws://api.test/ws/projects/p1')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(lease.connection.getStatus().attempt).toBeGreaterThan(3)
    const warnings = warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('failed 3 times'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/allowed origins/)
    expect(warnings[0]).not.toContain('secret-token')
    lease.release()
    hub.dispose()
    warn.mockRestore()
  })
})
