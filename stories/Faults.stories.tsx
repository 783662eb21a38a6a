import type { Meta, StoryObj } from '@storybook/react-vite'
import { useCallback } from 'react'
import { expect, waitFor, within } from 'storybook/test'
import { every, operationEvents, playScenario } from '../src/testing'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'
import { OperationView } from './support/views'

type Args = { stepMs: number }
const meta: Meta<Args> = {
  title: 'Faults',
  args: { stepMs: 60 },
  argTypes: { stepMs: { control: { type: 'range', min: 10, max: 300, step: 10 } } },
}
export default meta

const SOCKET = '/ws/projects/p1'
// Hidden while connected (display: none), so not found by role: select it.
const status = (canvasElement: HTMLElement) => canvasElement.querySelector<HTMLElement>('[role="status"]')!

/** The socket drops mid-job; polling keeps the bar moving until the socket is back. */
export const SocketDropsMidJob: StoryObj<Args> = {
  render: (args) => <DropMidJob {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    await waitFor(() => expect(status(canvasElement)).toHaveAttribute('data-state', 'polling'), { timeout: 8000 })
    const during = Number.parseInt(canvas.getByTestId('percent').textContent!)
    await waitFor(() => expect(Number.parseInt(canvas.getByTestId('percent').textContent!)).toBeGreaterThan(during), { timeout: 5000 })
    await waitFor(() => expect(status(canvasElement)).toHaveAttribute('data-state', 'connected'), { timeout: 10_000 })
    await waitFor(() => expect(canvas.getByTestId('status')).toHaveTextContent('completed'), { timeout: 15_000 })
    await expect(canvas.getByTestId('percent')).toHaveTextContent('100%')
  },
}
function DropMidJob({ stepMs }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (backend, server) => {
      const events = operationEvents('append', 100)
      const steps = every(events, stepMs, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))
      // Down for 65 steps: room for a poll or two to cover before the socket returns.
      steps.splice(20, 0, { afterMs: 0, run: () => backend.drop(SOCKET) })
      steps.splice(85, 0, { afterMs: 0, run: () => backend.restore(SOCKET) })
      return playScenario(steps).stop
    },
    [stepMs],
  )
  return (
    <LiveStory scenario={scenario} provider={{ reconnect: { initialDelayMs: 1500, maxDelayMs: 3000 } }}>
      <OperationView operationId="op1" />
    </LiveStory>
  )
}

/** The server refuses the token: "Sign-in required", no more attempts; REST polling still covers. */
export const RejectedToken: StoryObj<Args> = {
  render: (args) => <Rejected {...args} />,
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(status(canvasElement)).toHaveAttribute('data-state', 'unauthorized'), { timeout: 5000 })
    await expect(status(canvasElement)).toHaveTextContent('Sign-in required')
    await waitFor(() => expect(within(canvasElement).getByTestId('status')).toHaveTextContent('completed'), { timeout: 15_000 })
  },
}
function Rejected({ stepMs }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (backend, server) => {
      const steps = every(operationEvents('index', 30), stepMs, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))
      steps.splice(5, 0, { afterMs: 0, run: () => backend.rejectAuth(SOCKET, 4401) })
      return playScenario(steps).stop
    },
    [stepMs],
  )
  return (
    <LiveStory scenario={scenario}>
      <OperationView operationId="op1" />
    </LiveStory>
  )
}

/** The server goes silent without closing: the heartbeat notices and the client reconnects. */
export const SilentServer: StoryObj<Args> = {
  render: (args) => <Silent {...args} />,
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(status(canvasElement)).toHaveAttribute('data-state', 'connected'), { timeout: 3000 })
    await waitFor(() => expect(['reconnecting', 'polling']).toContain(status(canvasElement).getAttribute('data-state')), { timeout: 6000 })
    await waitFor(() => expect(status(canvasElement)).toHaveAttribute('data-state', 'connected'), { timeout: 8000 })
    await waitFor(() => expect(within(canvasElement).getByTestId('status')).toHaveTextContent('completed'), { timeout: 15_000 })
  },
}
function Silent({ stepMs }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (backend, server) => {
      const steps = every(operationEvents('index', 60), stepMs, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))
      steps.splice(3, 0, { afterMs: 0, run: () => backend.silence(SOCKET, true) })
      steps.splice(6, 0, { afterMs: 3000, run: () => backend.silence(SOCKET, false) })
      return playScenario(steps).stop
    },
    [stepMs],
  )
  return (
    <LiveStory scenario={scenario} provider={{ heartbeat: { intervalMs: 1000, timeoutMs: 800 } }}>
      <OperationView operationId="op1" />
    </LiveStory>
  )
}

/** 5,000 events in one burst: applied in one cache write, the page stays responsive. */
export const Burst5000: StoryObj = {
  render: () => <Burst />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    await waitFor(() => expect(canvas.getByTestId('files')).toHaveTextContent('5000/5000'), { timeout: 10_000 })
    await expect(canvas.getByTestId('percent')).toHaveTextContent('100%')
  },
}
function Burst() {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (_backend, server) =>
      playScenario([
        {
          afterMs: 500,
          run: () => {
            for (let n = 1; n <= 5000; n++) server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 5000 })
          },
        },
      ]).stop,
    [],
  )
  return (
    <LiveStory scenario={scenario}>
      <OperationView operationId="op1" />
    </LiveStory>
  )
}
