import type { StorybookConfig } from '@storybook/react-vite'

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
      // Every dependency the stories reach, optimised before the first page asks: on a cold cache
      // (a fresh clone, as in CI) Vite otherwise discovers react/jsx-runtime on the first story
      // page, re-optimises and reloads every open page, and a page caught mid-load stayed blank
      // (the storybookDev e2e flake: a different story each time, nothing rendered).
      optimizeDeps: {
        ...vite.optimizeDeps,
        include: [
          ...(vite.optimizeDeps?.include ?? []),
          'react',
          'react/jsx-runtime',
          'react/jsx-dev-runtime',
          'react-dom',
          'react-dom/client',
          '@tanstack/react-query',
          '@tanstack/query-core',
          'mock-socket',
        ],
      },
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
