import type { Meta, StoryObj } from '@storybook/react-vite'
import { expect, waitFor, within } from 'storybook/test'
import { ConnectionStatus, connectionStatusStyle, useOperationProgress, type FocusSource, type OnlineSource } from '../src'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'

const meta: Meta = { title: 'ConnectionStatus' }
export default meta

const offlineSource: OnlineSource & FocusSource = {
  isOnline: () => false,
  isFocused: () => true,
  subscribe: () => () => {},
}

/** Keeps an operation active so polling has something to cover. */
function Watched({ styled }: { styled: boolean }) {
  useOperationProgress('op1', { projectId: 'p1' })
  return <ConnectionStatus target={{ projectId: 'p1' }} style={styled ? connectionStatusStyle : undefined} />
}

const panels: { title: string; state: string; scenario: LiveStoryProps['scenario']; provider?: LiveStoryProps['provider'] }[] = [
  {
    title: 'Connected (renders nothing)',
    state: 'connected',
    scenario: (_b, server) => server.publish('p1', { type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: 10 }),
  },
  {
    title: 'Reconnecting',
    state: 'reconnecting',
    scenario: (backend, server) => {
      server.publish('p1', { type: 'operation_started', operation_id: 'op1', total_files: 10 })
      backend.drop('/ws/projects/p1')
      backend.setRestDown(true)
    },
    provider: { reconnect: { initialDelayMs: 4000, maxDelayMs: 30_000 } },
  },
  {
    title: 'Polling covers for the socket',
    state: 'polling',
    scenario: (backend, server) => {
      server.publish('p1', { type: 'operation_started', operation_id: 'op1', total_files: 10 })
      backend.drop('/ws/projects/p1')
    },
    provider: { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } },
  },
  {
    title: 'Browser offline',
    state: 'offline',
    scenario: (backend, server) => {
      server.publish('p1', { type: 'operation_started', operation_id: 'op1', total_files: 10 })
      backend.drop('/ws/projects/p1')
      backend.setRestDown(true)
    },
    provider: { onlineManager: offlineSource },
  },
  {
    title: 'Gave up (Retry)',
    state: 'closed',
    scenario: (backend, server) => {
      server.publish('p1', { type: 'operation_started', operation_id: 'op1', total_files: 10 })
      backend.drop('/ws/projects/p1')
      backend.setRestDown(true)
    },
    provider: { reconnect: { initialDelayMs: 100, maxDelayMs: 100, maxAttempts: 1 } },
  },
  {
    title: 'Token refused',
    state: 'unauthorized',
    scenario: (backend, server) => {
      server.project('p1')
      backend.rejectAuth('/ws/projects/p1', 4401)
    },
  },
]

function AllStates({ styled }: { styled: boolean }) {
  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'repeat(3, minmax(220px, 1fr))', gap: 16, fontFamily: 'system-ui' }}>
      {panels.map((panel) => (
        <figure key={panel.state} style={{ margin: 0, padding: 12, border: '1px solid #e2e5ea', borderRadius: 8 }} data-testid={`panel-${panel.state}`}>
          <figcaption style={{ fontSize: 12, color: '#687083', marginBottom: 8 }}>{panel.title}</figcaption>
          <LiveStory scenario={panel.scenario} provider={panel.provider}>
            <Watched styled={styled} />
          </LiveStory>
        </figure>
      ))}
    </div>
  )
}

/** Every state side by side, each panel a real connection driven into that state. */
export const EveryState: StoryObj<{ styled: boolean }> = {
  args: { styled: true },
  render: (args) => <AllStates styled={args.styled} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    // Hidden while connected (display: none), so not found by role: select it.
    const statusOf = (state: string) => canvas.getByTestId(`panel-${state}`).querySelector<HTMLElement>('[role="status"]')!
    for (const panel of panels) {
      await waitFor(() => expect(statusOf(panel.state)).toHaveAttribute('data-state', panel.state), { timeout: 8000 })
    }
    const text = (state: string) => statusOf(state).textContent
    await expect(text('connected')).toBe('')
    await expect(text('reconnecting')).toMatch(/^Reconnecting… \(attempt 1, next in \d s\)$/)
    await expect(text('polling')).toBe('Offline — updating every 1 s')
    await expect(text('offline')).toBe('Offline')
    await expect(text('closed')).toBe('DisconnectedRetry')
    await expect(text('unauthorized')).toBe('Sign-in required')
  },
}
