import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemoHttp } from '../../../demo/server'
import type { World } from '../../../demo/world'

/**
 * The demo's HTTP server (as `npm start` runs it) over `world`, serving a one-line page from a
 * temporary folder instead of the built demo. `cleanups` gets what closes the server, the world and
 * the folder.
 */
export async function startTestDemo(world: World, cleanups: (() => Promise<void> | void)[]) {
  const clientDir = mkdtempSync(join(tmpdir(), 'demo-test-'))
  writeFileSync(join(clientDir, 'index.html'), '<!doctype html>')
  const http = await startDemoHttp(world, { clientDir })
  cleanups.push(async () => {
    await http.close()
    await world.close()
    rmSync(clientDir, { recursive: true, force: true })
  })
  return http
}
