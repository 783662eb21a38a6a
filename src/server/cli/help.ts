import { numericEnvVariables } from '../config/fromEnv'
import { serverDefaults } from '../options'
import { MAX_PUBLISH_BODY_BYTES, MIN_JWT_SECRET_CHARS } from './serviceLimits'

/** One variable the service reads: its default as text, and what it does. */
export interface EnvVariableHelp {
  name: string
  default: string
  meaning: string
}

/** What each numeric option means, in a line (its default comes from `serverDefaults`). */
const numericMeanings: Record<(typeof numericEnvVariables)[keyof typeof numericEnvVariables], string> = {
  maxConnectionsPerUser: 'sockets and SSE streams one user may hold at once; the next socket is closed with 4429, the next SSE request answered 429',
  maxPayloadBytes: 'largest client frame; bigger ones close the socket with 1009',
  maxFrameBytes: 'largest frame the server sends (snapshots and batches are split under it)',
  maxPreAuthFrames: 'frames a socket may send before it is authenticated',
  maxPreAuthBytes: 'bytes a socket may send before it is authenticated',
  maxInvalidFrames: 'unsupported client messages allowed per window before the socket is closed (1002)',
  invalidFramesWindowMs: 'the window LIVE_STATUS_MAX_INVALID_FRAMES is counted in',
  idleTimeoutMs: 'a socket silent this long (no frame, no pong) is dropped',
  batchIntervalMs: 'events of a burst are sent together after this long…',
  batchMaxEvents: '…or as soon as this many are waiting',
  maxBufferedBytes: 'a client with more unsent data than this is dropped as too slow',
  retainFinishedMs: 'finished operations are forgotten this long after their last event',
  authTimeoutMs: 'time a socket has to send its auth message',
  recheckAccessMs: 'an open socket or stream has its token and project checked again this often',
  closeTimeoutMs: 'on SIGTERM, sockets not closed this long after their 1001 are terminated',
  sseHeartbeatMs: 'interval of the ": ping" comment lines on /sse/projects/{id} streams',
  sseRetryMs: 'the "retry:" field (reconnect delay) sent at the start of each SSE stream',
}

/** Every environment variable `live-status-server` reads, in the order `--help` lists them. */
export function envVariableHelp(): EnvVariableHelp[] {
  return [
    { name: 'LIVE_STATUS_JWT_SECRET', default: 'required', meaning: `HS256 secret (at least ${MIN_JWT_SECRET_CHARS} characters) the access tokens are signed with; exp and nbf are checked` },
    { name: 'LIVE_STATUS_PUBLISH_TOKEN', default: 'unset: publishing off', meaning: `bearer token of POST /api/projects/{id}/events, where jobs publish (an event or an array, at most ${MAX_PUBLISH_BODY_BYTES} bytes)` },
    { name: 'LIVE_STATUS_PORT', default: '8080', meaning: 'port to listen on (0: any free port)' },
    { name: 'PORT', default: 'unset', meaning: 'the port, when LIVE_STATUS_PORT is not set' },
    { name: 'LIVE_STATUS_HOST', default: '127.0.0.1', meaning: 'interface to listen on (0.0.0.0 in a container)' },
    { name: 'LIVE_STATUS_ALLOWED_ORIGINS', default: 'unset: any origin', meaning: 'comma-separated page origins (https://app.example.com) allowed to open sockets and get CORS headers; set it in production' },
    { name: 'LIVE_STATUS_ALLOWED_HOSTS', default: 'loopback names when LIVE_STATUS_HOST is loopback, else any', meaning: 'comma-separated host names (api.example.com) answered besides localhost, 127.0.0.1 and [::1]; other Host headers get 403 (DNS rebinding). * allows any' },
    { name: 'LIVE_STATUS_AUTHORIZE', default: 'unset: the token\'s `projects` claim', meaning: 'any-authenticated-user: every valid token sees every project (the claim is ignored)' },
    { name: 'LIVE_STATUS_HISTORY_SIZE', default: '1000', meaning: 'events kept per project for ?since= replays' },
    { name: 'LIVE_STATUS_SERVICE_ROUTES', default: String(serverDefaults.serviceRoutes), meaning: 'serve /healthz, /readyz and /metrics (true or false)' },
    { name: 'LIVE_STATUS_ALLOW_TOKEN_IN_QUERY', default: String(serverDefaults.allowTokenInQuery), meaning: 'accept a socket or SSE token in the URL (?token=); URLs end up in access logs' },
    { name: 'LIVE_STATUS_TOKEN_QUERY_PARAM', default: serverDefaults.tokenQueryParam, meaning: 'query parameter carrying that token' },
    ...Object.entries(numericEnvVariables).map(([name, option]) => ({ name, default: String(serverDefaults[option]), meaning: numericMeanings[option] })),
  ]
}

export const USAGE = 'Usage: live-status-server [--help]'

/** The `--help` text: what the service does, every variable with its default, an example, the exit codes. */
export function helpText(): string {
  const rows = envVariableHelp().map((v) => `  ${v.name}  (${v.default === 'required' ? 'required' : `default: ${v.default}`})\n      ${v.meaning}`)
  return `${USAGE}

Runs the live-status reference server: project sockets on /ws/projects/{projectId}, the REST routes
of the hooks (/api/projects/{id}/index, /api/operations/{id}, …), /healthz, /readyz and /metrics.
Configured from environment variables only. Sockets and REST take HS256 JWTs signed with
LIVE_STATUS_JWT_SECRET; a token sees the projects its \`projects\` claim lists (["*"]: all).
SIGTERM and SIGINT drain it (clients are closed with 1001), then it exits 0. Starting and
cancelling operations over REST needs code (onStartOperation / onCancelOperation with
startStandalone from live-status/server); here those routes answer 501.

Environment variables:
${rows.join('\n')}

Example:
  LIVE_STATUS_JWT_SECRET=$(openssl rand -hex 32) LIVE_STATUS_PUBLISH_TOKEN=$(openssl rand -hex 16) \\
  LIVE_STATUS_ALLOWED_ORIGINS=http://localhost:5173 npx live-status-server

Exit codes: 0 after --help or a drain, 1 for a setting that is not valid, 2 for an unknown argument.
`
}
