// The demo (`npm start`) answers the REST start and cancel routes with its simulated workers, so a
// second app can drive it: a cancelled operation stops and ends with `operation_cancelled`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { startDemoHttp } from '../../demo/server'
import { SCRIPT_TOKEN } from '../../demo/tokens'
import { createWorld, PROJECT } from '../../demo/world'
import { rawClient } from '../helpers/serverClient'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function demo() {
  const world = createWorld({ stepMs: 5, totalFiles: 6 })
  const clientDir = mkdtempSync(join(tmpdir(), 'demo-operations-'))
  writeFileSync(join(clientDir, 'index.html'), '<!doctype html>')
  const http = await startDemoHttp(world, { clientDir })
  const watcher = rawClient(`${http.url.replace('http', 'ws')}/ws/projects/${PROJECT}`, { protocols: ['bearer', SCRIPT_TOKEN] })
  cleanups.push(async () => {
    watcher.close()
    await http.close()
    await world.close()
    rmSync(clientDir, { recursive: true, force: true })
  })
  await watcher.opened()
  const headers = { Authorization: `Bearer ${SCRIPT_TOKEN}`, 'Content-Type': 'application/json' }
  const start = (body: unknown) => fetch(`${http.url}/api/projects/${PROJECT}/operations`, { method: 'POST', headers, body: JSON.stringify(body) })
  const cancel = (id: string) => fetch(`${http.url}/api/operations/${id}/cancel`, { method: 'POST', headers })
  const get = async (id: string) => (await (await fetch(`${http.url}/api/operations/${id}`, { headers })).json()) as { status: string; total_files: number }
  const eventsOf = (id: string) => watcher.events().filter((e) => e.operation_id === id)
  return { world, http, watcher, start, cancel, get, eventsOf }
}

test('an operation started over REST runs to completion on the demo worker, and the page lists it', async () => {
  const { start, get, eventsOf, watcher, http } = await demo()
  const response = await start({ type: 'append', total_files: 4, operation_id: 'op-second-app-1' })
  expect([response.status, await response.json()]).toEqual([201, { operation_id: 'op-second-app-1', status: 'pending' }])
  // Known at once (the worker may have picked it up already: 5 ms steps).
  expect(['pending', 'processing']).toContain((await get('op-second-app-1')).status)
  await watcher.until(() => eventsOf('op-second-app-1').some((e) => e.type === 'operation_completed'))
  expect(await get('op-second-app-1')).toMatchObject({ status: 'completed', total_files: 4 })
  expect(eventsOf('op-second-app-1')[0]).toMatchObject({ type: 'operation_started', status: 'pending', operation_type: 'append' })
  const list = (await (await fetch(`${http.url}/api/demo/operations`)).json()) as { operations: string[] }
  expect(list.operations).toContain('op-second-app-1')
})

test('a cancelled operation stops: operation_cancelled, nothing after it, 409 on a second cancel', async () => {
  const { start, cancel, get, eventsOf, watcher, world } = await demo()
  const { operation_id: id } = (await (await start({ type: 'index', total_files: 500 })).json()) as { operation_id: string }
  await watcher.until(() => eventsOf(id).some((e) => e.type === 'file_completed'))
  expect(world.stats().runningOperations).toBe(1)

  const response = await cancel(id)
  expect([response.status, await response.json()]).toEqual([202, { status: 'cancelling' }])
  await watcher.until(() => eventsOf(id).some((e) => e.type === 'operation_cancelled'))
  expect(world.stats().runningOperations).toBe(0)
  expect((await get(id)).status).toBe('cancelled')
  expect((await cancel(id)).status).toBe(409)

  // Another operation runs many steps to its end: a worker still scheduled would have published by then.
  const other = (await (await start({ type: 'remove_source', total_files: 8 })).json()) as { operation_id: string }
  await watcher.until(() => eventsOf(other.operation_id).some((e) => e.type === 'operation_completed'))
  const events = eventsOf(id)
  expect(events.at(-1)).toMatchObject({ type: 'operation_cancelled' })
  expect(events.filter((e) => e.type === 'operation_cancelled')).toHaveLength(1)
  expect((await get(id)).status).toBe('cancelled')
})

test('an unknown type: 500, and the operation is marked failed rather than left pending', async () => {
  const { start, get } = await demo()
  const response = await start({ type: 'launch-rockets', operation_id: 'op-unknown-type' })
  expect(response.status).toBe(500)
  expect((await get('op-unknown-type')).status).toBe('failed')
})

test("a script that revokes demo-token (trouble 'reject') takes it back with 'none' and the same token: before, it was lost until a restart", async () => {
  const { http, watcher } = await demo()
  const trouble = (mode: string) =>
    fetch(`${http.url}/api/demo/trouble`, { method: 'POST', headers: { Authorization: `Bearer ${SCRIPT_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ mode }) })
  const status = async () => (await fetch(`${http.url}/api/projects/${PROJECT}/index`, { headers: { Authorization: `Bearer ${SCRIPT_TOKEN}` } })).status
  expect(await (await trouble('reject')).json()).toEqual({ mode: 'reject' })
  expect((await watcher.untilClosed()).code).toBe(4401)
  expect(await status()).toBe(401)
  expect(await (await trouble('none')).json()).toEqual({ mode: 'none' })
  expect(await status()).toBe(200)
})
