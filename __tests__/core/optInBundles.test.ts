/**
 * Issue "Three layers": a bare `SocketHub` bundles the keep-alive and the resume logic only when
 * the app imports them (`keepAlive`, `resumeBySeq` from `live-status/transport`); the client,
 * which runs a keep-alive by default and takes `resumeParam: 'since'`, bundles both.
 * (`scripts/check-size.mjs` checks the same of the built package.)
 */
import { resolve } from 'node:path'
import { build } from 'esbuild'
import { expect, test } from 'vitest'

const optIn = ['src/transport/heartbeat.ts', 'src/transport/resume.ts']

/** The opt-in modules with code in a bundle of `code`, as an app's bundler would make it. */
async function bundled(code: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: code, resolveDir: resolve('.'), loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query', '@tanstack/query-core', 'zod'],
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, used]) => used.bytesInOutput > 0).map(([input]) => input))
  return optIn.filter((module) => inputs.includes(module))
}

test('a bare SocketHub bundles neither the keep-alive nor the resume logic (before: both)', async () => {
  expect(await bundled("export { SocketHub } from './src/transport'")).toEqual([])
})

test('each comes with its import, and the client brings both', async () => {
  expect(await bundled("export { SocketHub, keepAlive } from './src/transport'")).toEqual(['src/transport/heartbeat.ts'])
  expect(await bundled("export { SocketHub, resumeBySeq } from './src/transport'")).toEqual(['src/transport/resume.ts'])
  expect(await bundled("export { LiveStatusClient } from './src/core'")).toEqual(optIn)
})
