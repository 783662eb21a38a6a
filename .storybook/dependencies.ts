/**
 * Every dependency the stories reach, for Vite's `optimizeDeps.include`: both the Storybook dev
 * server (`.storybook/main.ts`) and the stories' test project (`vite.config.ts`) optimise them before
 * the first page asks. A dependency Vite discovers on a page instead makes it re-optimise and reload
 * every open page; on a cold cache (a fresh clone, as in CI) a page caught mid-load stayed blank or
 * failed its play function.
 */
export const storyDependencies = [
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-dom/client',
  '@tanstack/react-query',
  '@tanstack/query-core',
  'zod',
  'mock-socket',
]
