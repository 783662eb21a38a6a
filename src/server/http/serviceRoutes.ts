import type { IncomingMessage, ServerResponse } from 'node:http'
import { prometheusText, type MetricsSnapshot } from '../metrics/serverMetrics'
import { sendJson, sendText } from './respond'

const PATHS = new Set(['/healthz', '/readyz', '/metrics'])

export const isServiceRoute = (path: string): boolean => PATHS.has(path)

export interface ServiceContext {
  isClosing(): boolean
  /** Whether the bus answers (within the readiness timeout). */
  busReady(): Promise<boolean>
  metrics(): MetricsSnapshot
}

/**
 * `/healthz` (liveness: the process answers), `/readyz` (readiness: not draining, bus answering),
 * `/metrics` (Prometheus text, or JSON when asked with `Accept: application/json` or `?format=json`).
 */
export async function serveService(ctx: ServiceContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { detail: 'method not allowed' })
  switch (url.pathname) {
    case '/healthz':
      return sendJson(response, 200, { status: 'ok' })
    case '/readyz': {
      if (ctx.isClosing()) return sendJson(response, 503, { status: 'draining' })
      const bus = await ctx.busReady()
      return sendJson(response, bus ? 200 : 503, { status: bus ? 'ready' : 'not_ready', bus: bus ? 'ok' : 'unavailable' })
    }
    default: {
      const snapshot = ctx.metrics()
      const json = url.searchParams.get('format') === 'json' || String(request.headers.accept ?? '').includes('application/json')
      if (json) return sendJson(response, 200, snapshot)
      return sendText(response, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(snapshot))
    }
  }
}
