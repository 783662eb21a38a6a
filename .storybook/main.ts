import type { StorybookConfig } from '@storybook/react-vite'

// Written by hand: `storybook init` tries to download browsers and apt packages.
const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.@(ts|tsx)'],
  addons: ['@storybook/addon-vitest'],
  // StrictMode on, so a double connect would show up.
  framework: { name: '@storybook/react-vite', options: { strictMode: true } },
  core: { disableTelemetry: true },
  typescript: { reactDocgen: false },
}

export default config
