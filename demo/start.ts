/** `npm start`: the demo on 127.0.0.1 (the page is built by the npm script just before). */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { consoleLogger } from '../src/server'
import { demoOrigins } from './origins'
import { secondAppText } from './secondApp'
import { SCRIPT_TOKEN } from './tokens'
import { startDemoHttp } from './server'
import { createWorld, PROJECT } from './world'

const here = fileURLToPath(new URL('.', import.meta.url))
const port = Number(process.env.PORT ?? 4173)
// Warnings and errors only (a refused origin names the variable that allows it); the start-up info is below.
const logger = { ...consoleLogger, info: () => {} }
const world = createWorld({ allowedOrigins: demoOrigins(), logger })
const http = await startDemoHttp(world, { port, clientDir: resolve(here, 'dist') }).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') console.error(`Port ${port} is taken: run PORT=4174 npm start`)
  else console.error(error)
  process.exit(1)
})

// The demo's fixed token for scripts and second apps, the one the README's Quick start passes: it
// stays the same across restarts, so a pasted Quick start keeps working (the page's tabs get their own).
const secondAppToken = SCRIPT_TOKEN

console.log(`
  live-status demo running at ${http.url}

  Open it and try:
  · Reindex — the index goes queued → indexing → complete, live.
  · Start an operation of each type — progress, stage and ETA stream in.
  · Scan /documents, then Cancel one mid-way.
  · Network trouble: "drop" (sockets cut and refused: reconnecting, then polling covers),
    "silent" (a half-open link: the heartbeat notices), "reject" (Sign-in required).

${secondAppText({ url: http.url, projectId: PROJECT, token: secondAppToken })}
  Ctrl-C stops everything.
`)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  // Drain first: batches go out and clients get 1001 (reconnect later) before the port closes.
  await world.server.close()
  await http.close()
  await world.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
