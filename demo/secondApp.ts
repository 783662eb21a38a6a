/**
 * What `npm start` prints for a second app (a Quick start, a Vite app, a script): everything it
 * needs to connect and to start an operation, ready to paste.
 */
export interface SecondApp {
  /** The demo's URL: REST base, and the WebSocket base once http becomes ws. */
  url: string
  projectId: string
  /** The demo's token for scripts and second apps (`demo-token`). */
  token: string
}

/** The lines `npm start` prints under the demo's own. Every value is exact: nothing to fill in but an operation id. */
export function secondAppText({ url, projectId, token }: SecondApp): string {
  const ws = url.replace(/^http/, 'ws')
  const auth = `-H 'Authorization: Bearer ${token}'`
  return `  For a second app — any page on http://localhost, 127.0.0.1 or [::1], any port, is allowed
  (other origins: LIVE_STATUS_ALLOWED_ORIGINS=https://a.example,https://b.example npm start):

    apiUrl       ${url}   (REST; sockets at ${ws}/ws/projects/${projectId})
    projectId    ${projectId}
    accessToken  ${token}
                 ↑ the demo's fixed DEMO token (the Quick start's): worthless outside this demo

  Start an operation (types: index, append, reindex, remove_source; optional "total_files",
  "operation_id"); it answers {"operation_id":…,"status":"pending"}, and a page reload lists it:

    curl -X POST ${url}/api/projects/${projectId}/operations ${auth} -H 'Content-Type: application/json' -d '{"type":"index"}'

  Cancel it: curl -X POST ${url}/api/operations/OPERATION_ID/cancel ${auth}
`
}
