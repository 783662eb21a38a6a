/**
 * `npm run serve`: the reference server as a standalone service (docs/server.md, "Standalone start").
 * Sockets and REST authenticate HS256 JWTs signed with LIVE_STATUS_JWT_SECRET; a token sees the
 * projects its `projects` claim lists (`"*"`: all), unless LIVE_STATUS_AUTHORIZE=any-authenticated-user
 * opens every project to every valid token (the claim is then ignored). Jobs publish with
 * `POST /api/projects/{id}/events` and `Authorization: Bearer $LIVE_STATUS_PUBLISH_TOKEN`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendJson } from './http/respond'
import { projectIdFromSegment } from './limits/projectId'
import { serverDefaults } from './options'
import { startStandalone } from './standalone'
import { sameSecret, verifyHs256Jwt } from './standaloneAuth'
import { bearerToken } from './tokenFromRequest'

type JwtUser = Record<string, unknown>

const secret = process.env.LIVE_STATUS_JWT_SECRET
const publishToken = process.env.LIVE_STATUS_PUBLISH_TOKEN
if (!secret || secret.length < 32) {
  console.error('[live-status/server] LIVE_STATUS_JWT_SECRET must be set (at least 32 characters): tokens are HS256 JWTs signed with it.')
  process.exit(1)
}

const PUBLISH = /^\/api\/projects\/([^/]+)\/events\/?$/
const MAX_BODY_BYTES = 256 * 1024

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length
    if (bytes > MAX_BODY_BYTES) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const jwtSecret: string = secret
const started = await startStandalone<JwtUser>({
  authenticate: (token) => verifyHs256Jwt(token, jwtSecret),
  authorize: (user, projectId) => Array.isArray(user.projects) && (user.projects.includes('*') || user.projects.includes(projectId)),
}, {
  onRequest: (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const match = PUBLISH.exec(url.pathname)
    if (!match) return false
    void (async () => {
      const token = bearerToken(request)
      if (!publishToken || !token || !sameSecret(token, publishToken)) return sendJson(response, 401, { detail: 'not authenticated' })
      if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
      const projectId = projectIdFromSegment(match[1]!, serverDefaults.projectIdPattern)
      if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
      const text = await readBody(request)
      if (text === null) return sendJson(response, 413, { detail: `body over ${MAX_BODY_BYTES} bytes` })
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        return sendJson(response, 400, { detail: 'body is not JSON' })
      }
      const events = Array.isArray(body) ? body : [body]
      if (!events.every((e) => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string'))
        return sendJson(response, 400, { detail: 'each event needs a string `type`' })
      const seqs: number[] = []
      for (const event of events) seqs.push((await started.server.publish(projectId, event as { type: string })).seq)
      sendJson(response, 202, { seqs })
    })().catch(() => sendJson(response, 500, { detail: 'internal error' }))
    return true
  },
})
console.info(`[live-status/server] listening on ${started.url}${publishToken ? '' : ' (publishing disabled: LIVE_STATUS_PUBLISH_TOKEN is not set)'}`)
