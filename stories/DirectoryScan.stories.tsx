import type { Meta, StoryObj } from '@storybook/react-vite'
import { useCallback } from 'react'
import { expect, userEvent, waitFor, within } from 'storybook/test'
import type { MockLiveBackend } from '../src/testing'
import { mockScanSocket } from '../src/testing'
import { LiveStory, type LiveStoryProps } from './support/LiveStory'
import { ScanView } from './support/views'

type Args = { tickMs: number }
const meta: Meta<Args> = {
  title: 'useDirectoryScan',
  args: { tickMs: 60 },
  argTypes: { tickMs: { control: { type: 'range', min: 10, max: 300, step: 10 } } },
}
export default meta

/** Scan ids are random: answer on whatever scan socket the hook opens. */
function answerScans(backend: MockLiveBackend, tickMs: number) {
  const original = globalThis.crypto.randomUUID.bind(globalThis.crypto)
  globalThis.crypto.randomUUID = () => {
    const id = original()
    mockScanSocket(backend, `/ws/scan/${id}`, { tickMs })
    return id
  }
  return () => {
    globalThis.crypto.randomUUID = original
  }
}

function Story({ tickMs }: Args) {
  const scenario = useCallback<LiveStoryProps['scenario']>((backend) => answerScans(backend, tickMs), [tickMs])
  return (
    <LiveStory scenario={scenario}>
      <ScanView />
    </LiveStory>
  )
}

export const ScanAndCancel: StoryObj<Args> = {
  // Slow enough (300 files in ~7.5 s) that Cancel lands mid-scan even on a busy machine.
  args: { tickMs: 150 },
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    await userEvent.click(canvas.getByRole('button', { name: 'Scan /documents' }))
    await waitFor(() => expect(Number(canvas.getByTestId('scan-progress').textContent!.split('/')[0])).toBeGreaterThanOrEqual(12), { timeout: 5000 })
    await userEvent.click(canvas.getByRole('button', { name: 'Cancel' }))
    await expect(canvas.getByTestId('scan-state')).toHaveTextContent('cancelled')
    const frozen = canvas.getByTestId('scan-progress').textContent
    await new Promise((resolve) => setTimeout(resolve, 300))
    await expect(canvas.getByTestId('scan-progress')).toHaveTextContent(frozen!)
  },
}

export const ScanToCompletion: StoryObj<Args> = {
  args: { tickMs: 15 },
  render: (args) => <Story {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    await userEvent.click(canvas.getByRole('button', { name: 'Scan /documents' }))
    await waitFor(() => expect(canvas.getByTestId('scan-result')).toHaveTextContent('300 files'), { timeout: 10_000 })
  },
}
