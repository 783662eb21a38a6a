import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

interface Pair {
  client: Socket
  upstream: Socket
  /** Bytes the client has sent: a connection that carried no request is only a spare in a pool. */
  requested: boolean
  /** Half-open: what the server sends is swallowed; nothing is closed. */
  frozen: boolean
}

/**
 * A TCP proxy on a free loopback port in front of `targetPort`, for faults no server would commit
 * on purpose, whatever the protocol above (a WebSocket or an SSE response): `freeze()` makes the
 * connections that carry a request half-open (the server's bytes are swallowed, the client's still
 * reach it, nobody closes anything: a dead NAT entry, a stalled proxy); `drop()` cuts every
 * connection at once. New connections after either flow normally.
 */
export async function startFaultProxy(targetPort: number) {
  const pairs = new Set<Pair>()
  let accepted = 0
  const server: Server = createServer((client) => {
    accepted++
    const upstream = connect(targetPort, '127.0.0.1')
    const pair: Pair = { client, upstream, requested: false, frozen: false }
    pairs.add(pair)
    client.on('data', (chunk) => {
      pair.requested = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk)
    })
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    /** TCP connections accepted so far (spares a client pool opened included). */
    get accepted() {
      return accepted
    },
    /** Connections open now that carried a request. */
    get active() {
      return [...pairs].filter((p) => p.requested).length
    },
    freeze(): number {
      let frozen = 0
      for (const pair of pairs) if (pair.requested && !pair.frozen) (pair.frozen = true), frozen++
      return frozen
    },
    drop(): void {
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy()
        pair.upstream.destroy()
      }
      pairs.clear()
    },
    async close(): Promise<void> {
      for (const pair of [...pairs]) (pair.client.destroy(), pair.upstream.destroy())
      pairs.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type FaultProxy = Awaited<ReturnType<typeof startFaultProxy>>
