// @vitest-environment happy-dom
import { act, screen } from '@testing-library/react'
import { beforeEach, expect, test, vi } from 'vitest'
import { useDirectoryScan } from '../../src'
import { advance, setupLive, useFakeLiveClock , FRAME_MS } from '../helpers/renderWithLive'

useFakeLiveClock()
beforeEach(() => {
  let n = 0
  vi.spyOn(globalThis.crypto, 'randomUUID').mockImplementation(() => `00000000-0000-4000-8000-00000000000${++n}` as `${string}-${string}-${string}-${string}-${string}`)
})

const SCAN1 = '/ws/scan/00000000-0000-4000-8000-000000000001'
const SCAN2 = '/ws/scan/00000000-0000-4000-8000-000000000002'

function Scan() {
  const { start, cancel, data, connection: status, scanId } = useDirectoryScan()
  return (
    <div>
      <span data-testid="state">{data.state}</span>
      <span data-testid="progress">{`${data.scanned}/${data.total}`}</span>
      <span data-testid="path">{data.currentPath ?? ''}</span>
      <span data-testid="count">{data.count}</span>
      <span data-testid="size">{data.totalSize}</span>
      <span data-testid="warnings">{data.warnings.join('|')}</span>
      <span data-testid="connection">{status.state}</span>
      <span data-testid="id">{scanId ?? ''}</span>
      <button onClick={() => start({ path: '/documents', recursive: true })}>Start</button>
      <button onClick={cancel}>Cancel</button>
    </div>
  )
}
const text = (id: string) => screen.getByTestId(id).textContent

test('start opens the scan socket with a fresh id, sends the scan action once open, and closes when done', async () => {
  const { backend, renderLive } = setupLive()
  const socket = backend.socketAt(SCAN1)
  renderLive(<Scan />)
  expect(text('state')).toBe('idle')
  expect(backend.created).toHaveLength(0)
  act(() => screen.getByText('Start').click())
  expect(text('state')).toBe('scanning')
  await advance()
  expect(text('connection')).toBe('open')
  expect(socket.received).toEqual([{ action: 'scan', path: '/documents', recursive: true }])
  backend.send(SCAN1, { type: 'progress', scanned: 10, total: 40, current_path: '/documents/a' })
  await advance(FRAME_MS)
  expect(text('progress')).toBe('10/40')
  expect(text('path')).toBe('/documents/a')
  backend.send(SCAN1, {
    type: 'completed',
    files: [
      { path: '/documents/a/x.pdf', size: 100, modified: '2026-01-01T00:00:00Z', extension: '.pdf' },
      { path: '/documents/b/y.txt', size: 23, modified: '2026-01-02T00:00:00Z', extension: '.txt' },
    ],
    count: 2,
    total_size: 123,
    warnings: ['skipped /documents/secret: permission denied'],
  })
  await advance(FRAME_MS)
  expect(text('state')).toBe('completed')
  expect(text('count')).toBe('2')
  expect(text('size')).toBe('123')
  expect(text('warnings')).toBe('skipped /documents/secret: permission denied')
  await advance(1000)
  expect(backend.live()).toBe(0)
})

test('the newer dialect ({ type, scan_id, data: { files_scanned, total_files } }) works too', async () => {
  const { backend, renderLive } = setupLive()
  backend.socketAt(SCAN1)
  renderLive(<Scan />)
  act(() => screen.getByText('Start').click())
  await advance()
  backend.send(SCAN1, { type: 'started', scan_id: '00000000-0000-4000-8000-000000000001', data: { files_scanned: 0, total_files: 0 } })
  backend.send(SCAN1, { type: 'progress', scan_id: '00000000-0000-4000-8000-000000000001', data: { files_scanned: 5, total_files: 8, percentage: 62.5 } })
  backend.send(SCAN1, { type: 'progress', scan_id: 'someone-else', data: { files_scanned: 99, total_files: 99 } })
  await advance(FRAME_MS)
  expect(text('progress')).toBe('5/8')
})

test('cancel sends the cancel action and closes the socket; a new start uses a new id', async () => {
  const { backend, renderLive } = setupLive()
  const first = backend.socketAt(SCAN1)
  backend.socketAt(SCAN2)
  renderLive(<Scan />)
  act(() => screen.getByText('Start').click())
  await advance()
  act(() => screen.getByText('Cancel').click())
  expect(text('state')).toBe('cancelled')
  await advance(10)
  expect(first.received).toEqual([{ action: 'scan', path: '/documents', recursive: true }, { action: 'cancel' }])
  // Late progress from the cancelled scan changes nothing.
  backend.send(SCAN1, { type: 'progress', scanned: 50, total: 60 })
  await advance(1000)
  expect(backend.live()).toBe(0)
  expect(text('state')).toBe('cancelled')
  act(() => screen.getByText('Start').click())
  await advance()
  expect(text('id')).toBe('00000000-0000-4000-8000-000000000002')
  expect(text('state')).toBe('scanning')
  expect(backend.created.map((c) => new URL(c.url).pathname)).toEqual([SCAN1, SCAN2])
})

test('a cancel in the same tick as its start cancels that scan: no socket opens, the scan ends cancelled', async () => {
  const { backend, renderLive } = setupLive()
  backend.socketAt(SCAN1)
  renderLive(<Scan />)
  act(() => {
    screen.getByText('Start').click()
    screen.getByText('Cancel').click()
  })
  expect(text('state')).toBe('cancelled')
  await advance(1000)
  expect(text('state')).toBe('cancelled')
  expect(backend.created).toHaveLength(0)
})

test('an error event fails the scan; unmount closes the socket', async () => {
  const { backend, renderLive } = setupLive()
  backend.socketAt(SCAN1)
  const view = renderLive(<Scan />)
  act(() => screen.getByText('Start').click())
  await advance()
  backend.send(SCAN1, { type: 'error', message: 'path not found' })
  await advance(FRAME_MS)
  expect(text('state')).toBe('failed')
  view.unmount()
  await advance(1000)
  expect(backend.live()).toBe(0)
})

test('the indexer’s current server: socket first, then the scan starts over REST; counting and warning events; the server’s count', async () => {
  const endpoints = { scanSocket: (id: string) => `/ws/directory-scan/${id}`, scanStart: () => '/api/v2/directory-scan/preview' }
  const { backend, renderLive } = setupLive({ endpoints })
  const path = '/ws/directory-scan/00000000-0000-4000-8000-000000000001'
  const socket = backend.socketAt(path)
  let openWhenPosted = -1
  backend.route('POST', '/api/v2/directory-scan/preview', () => {
    openWhenPosted = socket.clients.length
    return { status: 200, body: { scan_id: '00000000-0000-4000-8000-000000000001' } }
  })
  renderLive(<Scan />)
  act(() => screen.getByText('Start').click())
  await advance()
  const posts = backend.callsTo('POST', '/api/v2/directory-scan/preview')
  expect(posts).toHaveLength(1)
  expect(posts[0]!.body).toEqual({ path: '/documents', recursive: true, scan_id: '00000000-0000-4000-8000-000000000001' })
  expect(openWhenPosted).toBe(1)
  expect(backend.received(path)).toEqual([])
  backend.send(path, { type: 'counting', scan_id: '00000000-0000-4000-8000-000000000001', data: { files_scanned: 0, total_files: 500 } })
  backend.send(path, { type: 'warning', message: 'skipped /documents/locked' })
  await advance()
  expect(text('state')).toBe('scanning')
  expect(text('progress')).toBe('0/500')
  backend.send(path, { type: 'completed', data: { count: 500, files: [{ path: '/documents/a.pdf', size: 10 }] } })
  await advance()
  expect(text('state')).toBe('completed')
  expect(text('count')).toBe('500')
  expect(text('warnings')).toBe('skipped /documents/locked')
})

test('a scan whose REST start is refused ends failed, not scanning forever', async () => {
  const { backend, renderLive } = setupLive({ endpoints: { scanStart: () => '/api/v2/directory-scan/preview' } })
  backend.socketAt(SCAN1)
  backend.route('POST', '/api/v2/directory-scan/preview', { status: 422, body: { detail: 'path outside the allowed roots' } })
  renderLive(<Scan />)
  act(() => screen.getByText('Start').click())
  await advance()
  await advance()
  expect(text('state')).toBe('failed')
})
