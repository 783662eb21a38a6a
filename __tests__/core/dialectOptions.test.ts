/** How a dialect's options meet the app's (found while documenting the dialects). */
import { expect, test } from 'vitest'
import { LiveStatusClient, operationProgressChannel, SocketHub, withReducer, type Dialect } from '../../src/core'
import { documentIndexer, documentIndexerOperationChannel } from '../../src/dialects/documentIndexer'
import { FrameDecoder } from '../../src/transport/frameDecoder'
import { jsonInBinaryFrames } from '../../src/transport'
import { appBuilder } from '../../src/dialects/appBuilder'
import { fakeSource } from '../helpers/fakeSources'

test("an app's heartbeat field overrides that field only: the dialect's schedule and message stay", () => {
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect: appBuilder, heartbeat: { intervalMs: 10_000 } })
  // With the code that runs it: a hub runs a keep-alive only given one (`keepAlive()`).
  expect(client.hub.options.heartbeat).toEqual({ intervalMs: 10_000, timeoutMs: 35_000, schedule: 'fixed', message: { type: 'heartbeat' }, start: expect.any(Function) })
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

test("a dialect replaces only the package's own channels: an app's channel of the same name is used as given", () => {
  const mine = withReducer(operationProgressChannel, (data, event, context, builtIn) => builtIn(data, event, context))
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect: documentIndexer })
  expect(client.channel(operationProgressChannel)).toBe(documentIndexerOperationChannel)
  expect(client.channel(mine)).toBe(mine)
  client.dispose()
})

test("an app's endpointOptions for one URL keeps the dialect's for the others (the indexer's scan socket keeps ?token=)", () => {
  const client = new LiveStatusClient({
    apiUrl: 'http://app.test',
    dialect: documentIndexer,
    endpointOptions: (url) => (url.includes('/ws/operations/') ? { authCloseCodes: [4401] } : undefined),
  })
  const options = client.hub.options.endpointOptions!
  expect(options('ws://app.test/ws/directory-scan/s1')).toEqual({ auth: { type: 'query', param: 'token' } })
  expect(options('ws://app.test/ws/operations/op1')).toEqual({ authCloseCodes: [4401] })
  client.dispose()
})

test("an app's batches add to its dialect's", () => {
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', dialect: appBuilder, batches: { bundle: 'items' } })
  expect(client.hub.options.batches).toEqual({ batch: 'events', 'batch-update': 'updates', bundle: 'items' })
  client.dispose()
})

test('a custom fetch is called as a function (window.fetch throws "Illegal invocation" when called as a method)', async () => {
  const strictFetch = function (this: unknown) {
    if (this !== undefined) throw new TypeError('Illegal invocation')
    return Promise.resolve(new Response('{"ok":true}', { status: 200 }))
  }
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', accessToken: 't', fetch: strictFetch })
  await expect(client.getJson('/api/x')).resolves.toEqual({ ok: true })
  client.dispose()
})

test('binary frames are `binary` (no refetch) unless the backend sends JSON that way: then an oversized one is `too_large`', () => {
  // Reports and callback errors collected; events of one subscriber.
  const decoderWith = (binaryFrames?: (data: ArrayBuffer | ArrayBufferView) => string | undefined) => {
    const reasons: string[] = []
    const messages: string[] = []
    const thrown: unknown[] = []
    const events: unknown[] = []
    const decoder = new FrameDecoder(
      { maxPayloadBytes: 64, discriminator: 'type', controlTypes: [], binaryFrames, onEventError: (error) => (reasons.push(error.reason), messages.push(error.message)), onCallbackError: (error) => thrown.push(error) },
      'ws://x',
      () => null,
    )
    const send = (data: unknown) => decoder.dispatch(data, [{ onEvents: (list) => events.push(...list) }])
    return { decoder, reasons, messages, thrown, events, send }
  }
  const json = new TextEncoder().encode('{"type":"x","n":1}')
  const big = new TextEncoder().encode(`{"type":"x","padding":"${'.'.repeat(80)}"}`)
  const preview = new Uint8Array(16).fill(0x89)

  const plain = decoderWith()
  for (const frame of [json, big, preview]) plain.send(frame)
  expect(plain.reasons).toEqual(['binary', 'binary', 'binary'])
  expect(plain.events).toEqual([])

  const reading = decoderWith(jsonInBinaryFrames)
  const spaced = new TextEncoder().encode(' \n{"type":"x","n":2}')
  // Console output over the limit: still binary (for a channel's decodeBinary), not a lost event.
  const console = new TextEncoder().encode(`$ npm test\n${'> passing\n'.repeat(20)}`)
  for (const frame of [json, big, preview, new Uint8Array([0x7b, 0xff, 0xfe]), spaced, console]) reading.send(frame)
  expect(reading.events).toEqual([{ type: 'x', n: 1 }, { type: 'x', n: 2 }])
  // Not UTF-8 though it starts with `{`, and no JSON with its stray bytes as U+FFFD: binary, as the
  // preview is.
  expect(reading.reasons).toEqual(['too_large', 'binary', 'binary', 'binary'])
  // The hint names the option only to those who have not set it.
  expect(plain.messages.at(-1)).toMatch(/binaryFrames/)
  expect(reading.messages.at(-1)).not.toMatch(/binaryFrames/)
  expect(plain.thrown.concat(reading.thrown)).toEqual([])

  // A reader that throws: the frame stays binary and the error goes to onCallbackError.
  const failing = decoderWith(() => {
    throw new Error('bad reader')
  })
  failing.send(json)
  expect(failing.decoder.stats.dropped.binary).toBe(1)
  expect(failing.thrown).toHaveLength(1)
})

test('a batch envelope is named by the discriminator, or by `type`: a backend whose events are named by `kind` has its batches unpacked (before, only `type` was read and every batched event was dropped as unknown)', () => {
  const reasons: string[] = []
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 4096, discriminator: 'kind', controlTypes: ['pong'], batches: { many: 'items' }, onEventError: (error) => reasons.push(error.reason), onCallbackError: (error) => { throw error } },
    'ws://x',
    () => null,
  )
  const delivered: unknown[] = []
  const subscribers = [{ onEvents: (events: unknown[]) => delivered.push(...events) }]
  decoder.dispatch('{"kind":"many","seq":3,"job":"j1","items":[{"kind":"job.progress","pct":42},{"kind":"job.done","job":"j2"},{"pct":1}]}', subscribers)
  decoder.dispatch('{"type":"many","items":[{"kind":"job.done","job":"j3"}]}', subscribers)
  // The envelope's name is no message's: an item without one stays without.
  expect(delivered).toEqual([{ job: 'j1', kind: 'job.progress', pct: 42 }, { job: 'j2', kind: 'job.done' }, { job: 'j1', pct: 1 }, { kind: 'job.done', job: 'j3' }])
  expect(reasons).toEqual([])
})

test("an app turns a dialect's binaryFrames reader off with false, for the client or one endpoint", () => {
  const dialect: Dialect = { name: 'json-in-binary', options: { binaryFrames: jsonInBinaryFrames } }
  const on = new LiveStatusClient({ apiUrl: 'http://app.test', accessToken: 't', dialect })
  expect(on.hub.options.binaryFrames).toBe(jsonInBinaryFrames)
  const off = new LiveStatusClient({ apiUrl: 'http://app.test', accessToken: 't', dialect, binaryFrames: false })
  expect(off.hub.options.binaryFrames).toBe(false)
  const oneEndpoint = new LiveStatusClient({ apiUrl: 'http://app.test', accessToken: 't', dialect, onCallbackError: () => {}, endpointOptions: (url) => (url.endsWith('/previews') ? { binaryFrames: false } : undefined) })
  const lease = oneEndpoint.hub.acquire('ws://app.test/previews', {})
  const other = oneEndpoint.hub.acquire('ws://app.test/jobs', {})
  expect(lease.connection.options.binaryFrames).toBe(false)
  expect(other.connection.options.binaryFrames).toBe(jsonInBinaryFrames)
  lease.release()
  other.release()
  for (const client of [on, off, oneEndpoint]) client.dispose()
})

test("a channel derived by spreading is the app's own: a dialect's variant replaces the built-in one, not the copy", () => {
  const client = new LiveStatusClient({ apiUrl: 'http://app.test', accessToken: 't', dialect: documentIndexer })
  expect(client.channel(operationProgressChannel)).toBe(documentIndexerOperationChannel)
  const mine = { ...operationProgressChannel, name: 'my-operation', queryKey: (p: { operationId: string }) => ['my-operation', p.operationId] }
  expect(client.channel(mine)).toBe(mine)
  const reduced = withReducer(operationProgressChannel, (data, event, context, builtIn) => builtIn(data, event, context))
  expect(client.channel(reduced)).toBe(reduced)
  client.dispose()
})
