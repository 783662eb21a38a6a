import type { IncomingMessage } from 'node:http'

/** A request body read as a JSON object, or why it was not: the status and detail to answer with. */
export type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; status: 400 | 413; detail: string }

/**
 * Reads the body of `request` as a JSON object; an empty body is `{}` (a `curl -X POST` without
 * `-d`). Past `maxBytes` it reports 413 at once and drops the rest unread (answer it with
 * `Connection: close`). Rejects only when the request itself fails.
 */
export function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<JsonBody> {
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
        value = JSON.parse(text)
      } catch {
        return resolve({ ok: false, status: 400, detail: 'body is not JSON' })
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return resolve({ ok: false, status: 400, detail: 'body must be a JSON object' })
      resolve({ ok: true, value: value as Record<string, unknown> })
    }
    request.on('data', onData)
    request.once('end', onEnd)
    request.once('error', reject)
    // A client gone mid-body: settled (a no-op after `end`), so nothing waits on it.
    request.once('close', () => reject(new Error('the request closed before its body ended')))
  })
}
