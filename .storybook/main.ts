import type { StorybookConfig } from '@storybook/react-vite'
import { storyDependencies } from './dependencies'

// Written by hand: `storybook init` tries to download browsers and apt packages.
const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.@(ts|tsx)'],
  addons: ['@storybook/addon-vitest'],
  // StrictMode on, so a double connect would show up.
  framework: { name: '@storybook/react-vite', options: { strictMode: true } },
  core: { disableTelemetry: true },
  typescript: { reactDocgen: false },
  viteFinal(vite) {
    const onwarn = vite.build?.rollupOptions?.onwarn
    return {
      ...vite,
      // Known up front (see dependencies.ts): a dependency found on a page reloads every open one.
      optimizeDeps: { ...vite.optimizeDeps, include: [...(vite.optimizeDeps?.include ?? []), ...storyDependencies] },
      build: {
        ...vite.build,
        // Storybook's own preview runtime is one ~1.1 MB chunk; a static Storybook is not an app
        // bundle, so the app-sized 500 kB warning says nothing here.
        chunkSizeWarningLimit: 1600,
        rollupOptions: {
          ...vite.build?.rollupOptions,
          // Harmless in a client-only bundle: dependencies' 'use client' lines (TanStack Query)
          // and comment annotations Rollup drops (zod).
          onwarn(warning, warn) {
            if (['MODULE_LEVEL_DIRECTIVE', 'INVALID_ANNOTATION'].includes(warning.code ?? '')) return
            if (onwarn) onwarn(warning, warn)
            else warn(warning)
          },
        },
      },
    }
  },
}

export default config
