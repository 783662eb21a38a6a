import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end()
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body))
}

export function sendText(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.headersSent) return void response.end()
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
  response.end(body)
}

const ignore = () => {}

/**
 * Keeps a raw upgrade socket's errors from becoming uncaught exceptions: a client that resets the
 * connection (RST) while or after being refused emits `'error'`, and an emitter without an
 * `'error'` listener throws. Idempotent.
 */
export function guardSocket(socket: Duplex, onError: (error: Error) => void = ignore): void {
  const marked = socket as Duplex & { __liveStatusGuarded?: true }
  if (marked.__liveStatusGuarded) return
  marked.__liveStatusGuarded = true
  socket.on('error', onError)
}

/** Refuses an upgrade with an HTTP status, then frees the socket even if the client never reads. */
export function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  guardSocket(socket)
  if (socket.destroyed) return
  if (!socket.writable) return void socket.destroy()
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy())
  // A peer that never reads keeps `end` from finishing: do not wait for it forever.
  setTimeout(() => socket.destroy(), 2000).unref()
}
