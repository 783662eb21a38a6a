import type { Meta, StoryObj } from '@storybook/react-vite'
import { useCallback } from 'react'
import { expect, waitFor, within } from 'storybook/test'
import { every, operationEvents, playScenario, type OperationType } from '../src/testing'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'
import { OperationView } from './support/views'

type Args = { type: OperationType; files: number; stepMs: number }
const meta: Meta<Args> = {
  title: 'useOperationProgress',
  args: { files: 20, stepMs: 60 },
  argTypes: {
    type: { control: 'inline-radio', options: ['index', 'append', 'reindex', 'remove_source'] },
    files: { control: { type: 'range', min: 5, max: 200, step: 5 } },
    stepMs: { control: { type: 'range', min: 10, max: 500, step: 10 } },
  },
}
export default meta

function Story({ type, files, stepMs }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>(
    (_backend, server) =>
      playScenario(every(operationEvents(type, files), stepMs, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))).stop,
    [type, files, stepMs],
  )
  return (
    <LiveStory scenario={scenario}>
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
