import { resolve } from 'node:path'
import { defineConfig } from 'vite'

/** Builds the demo page into demo/dist (served by demo/server.ts). */
export default defineConfig({
  root: resolve(__dirname, 'client'),
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  // The page shows React commits per second (a <Profiler>), which production React only reports
  // in its profiling build.
  resolve: { alias: [{ find: /^react-dom\/client$/, replacement: 'react-dom/profiling' }] },
  build: {
    outDir: resolve(__dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rollupOptions: {
      // Harmless in a client-only bundle: dependencies' 'use client' lines and comment annotations.
      onwarn(warning, warn) {
        if (['MODULE_LEVEL_DIRECTIVE', 'INVALID_ANNOTATION', 'SOURCEMAP_ERROR'].includes(warning.code ?? '')) return
        warn(warning)
      },
    },
  },
})
