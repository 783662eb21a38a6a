import type { Preview } from '@storybook/react-vite'

const preview: Preview = {
  parameters: {
    layout: 'padded',
    controls: { expanded: true },
  },
  decorators: [
    (Story) => (
      <div style={{ fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif', color: '#1d2330' }}>
        <Story />
      </div>
    ),
  ],
}

export default preview
