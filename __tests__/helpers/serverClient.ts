import { WebSocket } from 'ws'

/** A raw `ws` client that records frames and its close, for protocol-level server tests. */
export function rawClient(url: string, options: { protocols?: string[]; origin?: string } = {}) {
  const socket = new WebSocket(url, options.protocols, options.origin ? { origin: options.origin } : {})
  const frames: any[] = []
  const waiters: (() => void)[] = []
  let closed: { code: number; reason: string } | null = null
  let failed: Error | null = null
  const notify = () => waiters.splice(0).forEach((fn) => fn())
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)))
    notify()
  })
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) }
    notify()
  })
  socket.on('error', (error) => {
    failed = error
    notify()
  })
  socket.on('unexpected-response', (_req, res) => {
    failed = new Error(`HTTP ${res.statusCode}`)
    closed = { code: 1006, reason: `HTTP ${res.statusCode}` }
    notify()
  })
  const until = (predicate: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (predicate() ? resolve() : waiters.push(check))
      check()
    })
  return {
    socket,
    frames,
    /** Every event received, batches unpacked. */
    events: () => frames.flatMap((f) => (f.type === 'batch' ? f.events : [f])),
    get closed() {
      return closed
    },
    get error() {
      return failed
    },
    opened: () => new Promise<void>((resolve, reject) => (socket.readyState === 1 ? resolve() : (socket.once('open', () => resolve()), socket.once('error', reject)))),
    until,
    untilClosed: () => until(() => closed !== null).then(() => closed!),
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    close: () => socket.close(),
  }
}
