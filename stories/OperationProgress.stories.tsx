import type { Meta, StoryObj } from '@storybook/react-vite'
import { useCallback } from 'react'
import { expect, waitFor, within } from 'storybook/test'
import { every, operationEvents, playScenario, type OperationType } from '../src/testing'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'
import { OperationView } from './support/views'

type Fault = 'none' | 'drop' | 'silent' | 'reject'
type Args = { type: OperationType; files: number; stepMs: number; fault: Fault }
const meta: Meta<Args> = {
  title: 'useOperationProgress',
  args: { files: 20, stepMs: 60, fault: 'none' },
  argTypes: {
    type: { control: 'inline-radio', options: ['index', 'append', 'reindex', 'remove_source'] },
    fault: {
      control: 'inline-radio',
      options: ['none', 'drop', 'silent', 'reject'],
      description: 'injected at 30% of the run; drop and silent end at 70%',
    },
    files: { control: { type: 'range', min: 5, max: 200, step: 5 } },
    stepMs: { control: { type: 'range', min: 10, max: 500, step: 10 } },
  },
}
export default meta

const SOCKET = '/ws/projects/p1'

function Story({ type, files, stepMs, fault }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (backend, server) => {
      const steps = every(operationEvents(type, files), stepMs, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))
      const at = (fraction: number) => Math.round(steps.length * fraction)
      if (fault === 'drop') {
        steps.splice(at(0.7), 0, { afterMs: 0, run: () => backend.restore(SOCKET) })
        steps.splice(at(0.3), 0, { afterMs: 0, run: () => backend.drop(SOCKET) })
      } else if (fault === 'silent') {
        steps.splice(at(0.7), 0, { afterMs: 0, run: () => backend.silence(SOCKET, false) })
        steps.splice(at(0.3), 0, { afterMs: 0, run: () => backend.silence(SOCKET, true) })
      } else if (fault === 'reject') {
        steps.splice(at(0.3), 0, { afterMs: 0, run: () => backend.rejectAuth(SOCKET, 4401) })
      }
      return playScenario(steps).stop
    },
    [type, files, stepMs, fault],
  )
  return (
    <LiveStory scenario={scenario} provider={{ heartbeat: { intervalMs: 1000, timeoutMs: 800 } }}>
      <OperationView operationId="op1" />
    </LiveStory>
  )
}

/** Each operation type of the document indexer, through its stages, to 100%. */
const story = (type: OperationType, stages: string[]): StoryObj<Args> => ({
  args: { type },
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    const seen = new Set<string>()
    await waitFor(
      () => {
        seen.add(canvas.getByTestId('stage').textContent ?? '')
        expect(canvas.getByTestId('status')).toHaveTextContent('completed')
      },
      { timeout: 15_000, interval: 20 },
    )
    await expect(canvas.getByTestId('percent')).toHaveTextContent('100%')
    for (const stage of stages) await expect([...seen]).toContain(stage)
  },
})

export const Index = story('index', ['scanning', 'processing', 'completed'])
export const Append = story('append', ['scanning', 'processing', 'completed'])
export const Reindex = story('reindex', ['reprocessing', 'completed'])
export const RemoveSource = story('remove_source', ['removing', 'completed'])

/** The same run with the socket dropped for 40% of it: polling covers, the end state is the same. */
export const AppendWithDroppedSocket: StoryObj<Args> = {
  args: { type: 'append', files: 60, stepMs: 60, fault: 'drop' },
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    const status = () => canvasElement.querySelector<HTMLElement>('[role="status"]')!
    await waitFor(() => expect(['reconnecting', 'polling']).toContain(status().getAttribute('data-state')), { timeout: 8000 })
    await waitFor(() => expect(canvas.getByTestId('status')).toHaveTextContent('completed'), { timeout: 20_000 })
    await expect(canvas.getByTestId('percent')).toHaveTextContent('100%')
    await expect(canvas.getByTestId('files')).toHaveTextContent('55/60')
  },
}
