/**
 * The reference server as a standalone service (`npx live-status-server`, `npm run serve`): sockets
 * and REST authenticate HS256 JWTs signed with LIVE_STATUS_JWT_SECRET; a token sees the projects
 * its `projects` claim lists (`"*"`: all), unless LIVE_STATUS_AUTHORIZE=any-authenticated-user
 * opens every project to every valid token (the claim is then ignored). Jobs publish with
 * `POST /api/projects/{id}/events` and `Authorization: Bearer $LIVE_STATUS_PUBLISH_TOKEN`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendJson } from '../http/respond'
import { readJsonBody } from '../http/jsonBody'
import { projectIdFromSegment } from '../limits/projectId'
import { serverDefaults } from '../options'
import { startStandalone, type StandaloneOptions } from '../standalone'
import { sameSecret, verifyHs256Jwt } from '../standaloneAuth'
import { bearerToken } from '../tokenFromRequest'
import { MAX_PUBLISH_BODY_BYTES, MIN_JWT_SECRET_CHARS } from './serviceLimits'

type JwtUser = Record<string, unknown>

/** A setting that stops the start; its message names the variable and the fix. */
export class ServiceConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServiceConfigError'
  }
}

const PUBLISH = /^\/api\/projects\/([^/]+)\/events\/?$/

/**
 * Starts the service from `env` (see `envVariableHelp` for every variable). Throws
 * `ServiceConfigError` (or configFromEnv's error) naming the variable when a setting is not valid.
 */
export async function startJwtService(env: Record<string, string | undefined> = process.env, standalone: Omit<StandaloneOptions, 'env' | 'onRequest'> = {}) {
  const secret = env.LIVE_STATUS_JWT_SECRET
  const publishToken = env.LIVE_STATUS_PUBLISH_TOKEN || undefined
  if (!secret || secret.length < MIN_JWT_SECRET_CHARS)
    throw new ServiceConfigError(`[live-status/server] LIVE_STATUS_JWT_SECRET must be set (at least ${MIN_JWT_SECRET_CHARS} characters): tokens are HS256 JWTs signed with it. Try LIVE_STATUS_JWT_SECRET=$(openssl rand -hex 32).`)

  const started = await startStandalone<JwtUser>(
    {
      authenticate: (token) => verifyHs256Jwt(token, secret),
      authorize: (user, projectId) => Array.isArray(user.projects) && (user.projects.includes('*') || user.projects.includes(projectId)),
    },
    {
      ...standalone,
      env,
      onRequest: (request: IncomingMessage, response: ServerResponse, url: URL) => {
        const match = PUBLISH.exec(url.pathname)
        if (!match) return false
        void (async () => {
          const token = bearerToken(request)
          if (!publishToken || !token || !sameSecret(token, publishToken)) return sendJson(response, 401, { detail: 'not authenticated' })
          if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
          const projectId = projectIdFromSegment(match[1]!, serverDefaults.projectIdPattern)
          if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
          const read = await readJsonBody(request, MAX_PUBLISH_BODY_BYTES, { arrays: true })
          if (!read.ok) {
            if (read.status === 413) response.setHeader('Connection', 'close')
            return sendJson(response, read.status, { detail: read.detail })
          }
          const body = read.value
          const events = Array.isArray(body) ? body : [body]
          if (!events.every((e) => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string'))
            return sendJson(response, 400, { detail: 'each event needs a string `type`' })
          const seqs: number[] = []
          for (const event of events) seqs.push((await started.server.publish(projectId, event as { type: string })).seq)
          sendJson(response, 202, { seqs })
        })().catch(() => sendJson(response, 500, { detail: 'internal error' }))
        return true
      },
    },
  )
  return { ...started, publishing: publishToken !== undefined }
}
