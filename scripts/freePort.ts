import { createServer } from 'node:net'

/** A loopback port nothing listens on now (for processes that must be given one: next, storybook, redis, the cluster demo). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
