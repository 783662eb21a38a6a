import type { IncomingMessage } from 'node:http'

/** A request body read as a JSON object, or why it was not: the status and detail to answer with. */
export type JsonBody<T = Record<string, unknown>> = { ok: true; value: T } | { ok: false; status: 400 | 413; detail: string }

/**
 * Keys no parsed body keeps, at any depth (the client's frame decoder drops the same): an own
 * `__proto__` passed on to an app's hook becomes a prototype in the first `Object.assign`.
 */
const dropDangerousKeys = (key: string, value: unknown) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value)

/**
 * Reads the body of `request` as a JSON object (or, with `arrays`, an array of them too: a batch);
 * an empty body is `{}` (a `curl -X POST` without `-d`). Past `maxBytes` it reports 413 at once and
 * drops the rest unread (answer it with `Connection: close`). Rejects only when the request itself
 * fails. The one body reader of the server, its CLI service and the demo.
 */
export function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<JsonBody>
export function readJsonBody(request: IncomingMessage, maxBytes: number, options: { arrays: true }): Promise<JsonBody<Record<string, unknown> | unknown[]>>
export function readJsonBody(request: IncomingMessage, maxBytes: number, { arrays = false } = {}): Promise<JsonBody<Record<string, unknown> | unknown[]>> {
  const tooLarge = { ok: false, status: 413, detail: `body over ${maxBytes} bytes` } as const
  if (Number(request.headers['content-length']) > maxBytes) {
    request.resume()
    return Promise.resolve(tooLarge)
  }
  return new Promise((resolve, reject) => {
    // Gone before its body was read (auth awaited meanwhile): no 'close' would come any more.
    if (request.destroyed && !request.complete) return reject(new Error('the request closed before its body ended'))
    const chunks: Buffer[] = []
    let bytes = 0
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes <= maxBytes) return void chunks.push(chunk)
      // Not held until the client stops sending: a body without end would hold the request for ever.
      request.off('data', onData)
      request.off('end', onEnd)
      request.resume()
      resolve(tooLarge)
    }
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') return resolve({ ok: true, value: {} })
      let value: unknown
      try {
        value = JSON.parse(text, dropDangerousKeys)
      } catch {
        return resolve({ ok: false, status: 400, detail: 'body is not JSON' })
      }
      if (typeof value !== 'object' || value === null || (Array.isArray(value) && !arrays))
        return resolve({ ok: false, status: 400, detail: `body must be a JSON object${arrays ? ' or an array' : ''}` })
      resolve({ ok: true, value: value as Record<string, unknown> })
    }
    request.on('data', onData)
    request.once('end', onEnd)
    request.once('error', reject)
    // A client gone mid-body: settled (a no-op after `end`), so nothing waits on it.
    request.once('close', () => reject(new Error('the request closed before its body ended')))
  })
}
