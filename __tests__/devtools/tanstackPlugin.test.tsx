// @vitest-environment happy-dom
import { render, screen } from '@testing-library/react'
import type { TanStackDevtoolsReactPlugin } from '@tanstack/react-devtools'
import { describe, expect, test } from 'vitest'
import { LiveStatusClient, useOperationProgress } from '../../src'
import { liveStatusDevtoolsPlugin, type DevtoolsPluginRenderProps } from '../../src/devtools'
import { createMockBackend } from '../helpers/mockBackend'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'

function Progress({ id }: { id: string }) {
  const { data } = useOperationProgress({ operationId: id, projectId: 'p1' })
  return <p>{`${id}: ${data?.processedFiles ?? '–'}`}</p>
}

const panel = () => screen.getByRole('region', { name: 'live-status devtools' })
// What TanStack Devtools does with a plugin's render: calls it with the pane and its props.
const tab = (props?: DevtoolsPluginRenderProps, plugin = liveStatusDevtoolsPlugin()) => plugin.render(document.createElement('div'), props)

describe('liveStatusDevtoolsPlugin', () => {
  test('a plugin object TanStack Devtools takes, named after the package, closed by default', () => {
    // Type-checked against @tanstack/react-devtools' own plugin type (tsc runs over the tests).
    const plugin: TanStackDevtoolsReactPlugin = liveStatusDevtoolsPlugin()
    expect(plugin).toMatchObject({ id: 'live-status', name: 'live-status', defaultOpen: false })
    expect(liveStatusDevtoolsPlugin({ id: 'ls', name: 'Jobs', defaultOpen: true })).toMatchObject({ id: 'ls', name: 'Jobs', defaultOpen: true })
  })

  test("follows the shell's theme, given as props (0.10+) or alone (before 0.10)", async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    const view = renderLive(tab({ theme: 'light', devtoolsOpen: true }))
    await advance()
    expect(panel().style.filter).toContain('invert(1)')
    view.rerenderWith(tab('dark'))
    expect(panel().style.filter).toBe('')
    view.rerenderWith(tab())
    expect(panel().style.filter).toBe('')
  })

  test('while the shell is closed it keeps watching without re-rendering; opened, it shows what happened', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing', processed_files: 0, total_files: 10 } })
    const view = renderLive(<><Progress id="op1" />{tab({ theme: 'dark', devtoolsOpen: true })}</>)
    await advance()
    await advance(1000)
    expect(panel().querySelector('tbody tr')?.textContent).toContain('1 component')

    view.rerenderWith(<><Progress id="op1" />{tab({ theme: 'dark', devtoolsOpen: false })}</>)
    backend.send(SOCKET, { type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 10 })
    await advance(1000)
    expect(screen.getByText('op1: 3')).toBeTruthy()
    expect(panel().textContent).toContain('0 writes · 0 events')

    view.rerenderWith(<><Progress id="op1" />{tab({ theme: 'dark', devtoolsOpen: true })}</>)
    expect(panel().textContent).toContain('1 writes · 1 events')
    expect(screen.getByRole('list', { name: 'live-status log' }).textContent).toContain('write ["live-status","operation","op1"] ← 1 event')
  })

  test('outside <LiveStatusProvider> it takes the client as an option, and says so when there is none', async () => {
    const backend = createMockBackend()
    const client = new LiveStatusClient({ apiUrl: backend.apiUrl, WebSocket: backend.WebSocket })
    render(tab({ theme: 'dark', devtoolsOpen: true }, liveStatusDevtoolsPlugin({ client })))
    expect(panel().textContent).toContain('No live query holds a socket.')
    expect(() => render(tab())).toThrow(/\[live-status\] The devtools panel found no client: mount <TanStackDevtools> inside <LiveStatusProvider>, or pass one: liveStatusDevtoolsPlugin\(\{ client \}\)/)
  })
})
