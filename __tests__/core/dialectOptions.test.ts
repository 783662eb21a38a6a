/** How a dialect's options meet the app's (found while documenting the dialects). */
import { expect, test } from 'vitest'
import { LiveStatusClient, SocketHub, type Dialect } from '../../src/core'
import { appBuilder } from '../../src/dialects/appBuilder'
import { fakeSource } from '../helpers/fakeSources'

test("an app's heartbeat field overrides that field only: the dialect's schedule and message stay", () => {
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect: appBuilder, heartbeat: { intervalMs: 10_000 } })
  expect(client.hub.options.heartbeat).toEqual({ intervalMs: 10_000, timeoutMs: 35_000, schedule: 'fixed', message: { type: 'heartbeat' } })
  client.dispose()
})

test("an option passed as undefined (a prop handed through) does not hide the dialect's", () => {
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect: appBuilder, auth: undefined, batches: undefined })
  expect(client.hub.options.auth).toEqual({ type: 'none' })
  expect(client.hub.options.batches).toEqual({ batch: 'events', 'batch-update': 'updates' })
  client.dispose()
})

test("the app's own option wins over the dialect's; the dialect's callbacks run when the app sets none", () => {
  const seen: string[] = []
  const dialect: Dialect = { name: 'x', options: { auth: { type: 'query' }, onCallbackError: () => seen.push('dialect') } }
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect, auth: { type: 'none' } })
  expect(client.hub.options.auth).toEqual({ type: 'none' })
  client.hub.options.onCallbackError(new Error('x'))
  expect(seen).toEqual(['dialect'])
  client.dispose()
})

test("sockets deliver binary frames as bytes (binaryType 'arraybuffer'), never a browser's Blob", async () => {
  const made: { binaryType: string }[] = []
  class BrowserLike {
    binaryType = 'blob'
    readyState = 0
    onopen = null
    onmessage = null
    onerror = null
    onclose = null
    constructor() {
      made.push(this)
    }
    send() {}
    close() {}
  }
  const hub = new SocketHub({ token: 't', WebSocket: BrowserLike, onlineManager: fakeSource(true), focusManager: fakeSource(true) })
  const lease = hub.acquire('ws://app.test/ws')
  await Promise.resolve()
  expect(made.map((socket) => socket.binaryType)).toEqual(['arraybuffer'])
  lease.release()
  hub.dispose()
})
