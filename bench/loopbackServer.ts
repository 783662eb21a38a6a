/**
 * The loopback bench's server (bench/loopback.ts), in a process of its own: a `ws` server that
 * answers a client's first message with every frame, pre-encoded and written at once, so that
 * serving costs the measured client nothing (neither its event loop nor its CPU time).
 */
import { WebSocketServer } from 'ws'

process.once('message', (frames: string[]) => {
  const parts: Buffer[] = []
  for (const frame of frames) {
    const payload = Buffer.from(frame)
    const n = payload.length
    if (n >= 65536) throw new Error('frames of 64 KiB and more are not encoded here')
    parts.push(n < 126 ? Buffer.from([0x81, n]) : Buffer.from([0x81, 126, n >> 8, n & 255]), payload)
  }
  const wire = Buffer.concat(parts)
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  // Raw frames on the socket: a server text frame is unmasked, so the bytes are the same for every client.
  wss.on('connection', (socket) => socket.once('message', () => (socket as unknown as { _socket: { write(data: Buffer): void } })._socket.write(wire)))
  wss.on('listening', () => process.send!((wss.address() as { port: number }).port))
  process.once('disconnect', () => wss.close(() => process.exit(0)))
})
