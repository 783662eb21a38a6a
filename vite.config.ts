import { readdirSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin'
import { playwright } from '@vitest/browser-playwright'
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { storyDependencies } from './.storybook/dependencies'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, isCi, MissingChromiumReporter } from './scripts/chromium'

// Stories run as tests in Chromium. Without Chromium they are left out locally, and the run ends with
// a loud summary of what did not run; in CI the missing browser fails the run (the e2e suite too).
const storybookProject: TestProjectInlineConfiguration = {
  extends: true,
  plugins: [storybookTest({ configDir: resolve(__dirname, '.storybook') })],
  // Known up front: a dependency discovered mid-run makes Vite reload the page and fail a file.
  optimizeDeps: { include: storyDependencies },
  test: {
    name: 'storybook',
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
}
const withStories = haveChromium || isCi
const storyFiles = readdirSync(resolve(__dirname, 'stories'))
  .filter((name) => name.endsWith('.stories.tsx'))
  .map((name) => `stories/${name}`)

const external = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@tanstack/react-query',
  '@tanstack/query-core',
  'zod',
  'ws',
  'mock-socket',
  ...builtinModules,
  ...builtinModules.map((name) => `node:${name}`),
]

/** Browser tests that run alone, one after the other, after every other test. */
const alone = [
  '__tests__/crossTab/crossTab.chromium.test.ts',
  '__tests__/e2e/storybookDev.e2e.test.ts',
  '__tests__/devtools/tanstackPlugin.chromium.test.ts',
  '__tests__/e2e/install.e2e.test.ts',
  '__tests__/e2e/sseConnections.chromium.test.ts',
]

/**
 * `npm run test:unit` (`vitest run --mode unit`): the fast inner loop. Only the unit project, without
 * the files that need Chromium, Redis or a built demo; `npm test` runs everything.
 */
const unitOnlyExclude = ['__tests__/e2e/**', '__tests__/redis/**', '**/*.chromium.test.ts']

const unitProject = (exclude: string[], isolate = true): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name: 'unit', include: ['__tests__/**/*.test.{ts,tsx}'], exclude: [...configDefaults.exclude, '__tests__/**/*.heavy.test.ts', ...alone, ...exclude], environment: 'node', isolate },
})

export default defineConfig(({ mode }) => ({
  // The published code must use the production JSX runtime (react/jsx-runtime): Next.js has no
  // jsxDEV in production, and the vitest plugins imported above leave Vite in a dev-JSX mode.
  esbuild: { jsx: 'automatic', jsxDev: false },
  build: {
    target: 'es2022',
    sourcemap: true,
    minify: false,
    emptyOutDir: true,
    lib: {
      entry: {
        index: resolve(__dirname, 'src/index.ts'),
        'core/index': resolve(__dirname, 'src/core/index.ts'),
        'transport/index': resolve(__dirname, 'src/transport/index.ts'),
        'dialects/documentIndexer': resolve(__dirname, 'src/dialects/documentIndexer.ts'),
        'dialects/ontologyEditor': resolve(__dirname, 'src/dialects/ontologyEditor.ts'),
        'dialects/transcriber': resolve(__dirname, 'src/dialects/transcriber.ts'),
        'dialects/appBuilder': resolve(__dirname, 'src/dialects/appBuilder.ts'),
        'server/index': resolve(__dirname, 'src/server/index.ts'),
        'server/bin': resolve(__dirname, 'src/server/bin.ts'),
        'testing/index': resolve(__dirname, 'src/testing/index.ts'),
        'devtools/index': resolve(__dirname, 'src/devtools/index.ts'),
        'cross-tab/index': resolve(__dirname, 'src/transport/crossTab/index.ts'),
        'sse/index': resolve(__dirname, 'src/sync/sseTransport.ts'),
        'next/index': resolve(__dirname, 'src/next/index.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: {
      external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
      output: {
        // One output file per source module: an app bundles only the modules it imports
        // (`import { SocketHub } from 'live-status/transport'` brings no channel and no TanStack code).
        preserveModules: true,
        preserveModulesRoot: 'src',
        entryFileNames: '[name].js',
        // Vite drops module directives; Next.js needs this one on the React entry and its modules.
        banner: (chunk) => (chunk.name === 'index' || chunk.name.startsWith('react/') || chunk.name.startsWith('devtools/') ? "'use client';" : ''),
      },
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
    ...(withStories || mode === 'unit' ? {} : { reporters: ['default', new MissingChromiumReporter(storyFiles)] }),
    // The inner loop trades isolation for time: its files share one module graph per worker, and it
    // runs two workers per core, since most of its files wait on sockets and timers. vitest's default
    // leaves one core free, which on a 2-core machine ran the files one after the other (94 s; 53–55 s
    // with this). The unit files pass in shuffled order this way; `npm test` keeps isolation and the
    // default pool.
    ...(mode === 'unit' ? { maxWorkers: Math.min(8, 2 * availableParallelism()) } : {}),
    projects: mode === 'unit' ? [unitProject(unitOnlyExclude, false)] : [
      unitProject([]),
      // Load tests that keep every core busy run last, alone: beside them the Chromium tests starve.
      { extends: true, test: { name: 'heavy', include: ['__tests__/**/*.heavy.test.ts'], environment: 'node', sequence: { groupOrder: 1 } } },
      // The Chromium tests that drive several tabs, a dev server, TanStack Devtools or a packed
      // install each run alone, after the rest: side by side (or beside the other browser tests) they timed out in 2 of 5
      // fresh-clone CI runs, and each passed in every run it had the machine to itself.
      ...alone.map((file, i) => ({ extends: true as const, test: { name: `alone-${i + 1}`, include: [file], environment: 'node' as const, sequence: { groupOrder: 2 + i } } })),
      ...(withStories ? [storybookProject] : []),
    ],
  },
}))
