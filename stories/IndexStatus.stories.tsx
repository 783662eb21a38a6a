import type { Meta, StoryObj } from '@storybook/react-vite'
import { useCallback } from 'react'
import { expect, waitFor, within } from 'storybook/test'
import { playScenario } from '../src/testing'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'
import { IndexView } from './support/views'

type Args = { speed: number; outcome: 'complete' | 'failed' }
const meta: Meta<Args> = {
  title: 'useIndexStatus',
  args: { speed: 1, outcome: 'complete' },
  argTypes: { speed: { control: { type: 'range', min: 0.25, max: 4, step: 0.25 } }, outcome: { control: 'inline-radio', options: ['complete', 'failed'] } },
}
export default meta

function Story({ speed, outcome }: Args) {
  // Not indexed (REST 404), then the worker starts and ends, live.
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (_backend, server) => {
      server.project('p1')
      return playScenario(
        [
          { afterMs: 800, run: () => server.publish('p1', { type: 'index_queued', project_id: 'p1' }) },
          { afterMs: 600, run: () => server.publish('p1', { type: 'index_started', project_id: 'p1' }) },
          {
            afterMs: 1500,
            run: () =>
              server.publish(
                'p1',
                outcome === 'complete'
                  ? { type: 'index_complete', project_id: 'p1', entity_count: 1234 }
                  : { type: 'index_failed', project_id: 'p1', error: 'Parser crashed on ontology.ttl line 42' },
              ),
          },
        ],
        { speed },
      ).stop
    },
    [speed, outcome],
  )
  return (
    <LiveStory scenario={scenario}>
      <IndexView />
    </LiveStory>
  )
}

const expectStates = async (canvasElement: HTMLElement, end: string) => {
  const canvas = within(canvasElement)
  await waitFor(() => expect(canvas.getByTestId('index-state')).toHaveTextContent('not_indexed'), { timeout: 4000 })
  await waitFor(() => expect(canvas.getByTestId('index-state')).toHaveTextContent('indexing'), { timeout: 6000 })
  await waitFor(() => expect(canvas.getByTestId('index-state')).toHaveTextContent(end), { timeout: 6000 })
}

export const NotIndexedToComplete: StoryObj<Args> = {
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    await expectStates(canvasElement, 'complete')
    await expect(within(canvasElement).getByTestId('entity-count')).toHaveTextContent('1234 entities')
  },
}

export const NotIndexedToFailed: StoryObj<Args> = {
  args: { outcome: 'failed' },
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    await expectStates(canvasElement, 'failed')
    await expect(within(canvasElement).getByRole('alert')).toHaveTextContent('Parser crashed')
  },
}
