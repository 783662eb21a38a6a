import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { expect, test } from 'vitest'

/**
 * The layers point one way: transport ← sync ← channels ← dialects, with React, devtools, testing
 * and the server on top. Type-only imports count: a cycle of types is a cycle a reader must hold.
 */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : /\.tsx?$/.test(name) ? [path] : []
  })
const specifiersOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!)

function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const base = resolve(dirname(from), spec)
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(process.cwd(), candidate)
  }
  return null
}

const files = filesUnder('src')
const layerOf = (file: string) => file.split('/')[1]!
/** What each layer may import from src (besides itself). */
const allowed: Record<string, string[]> = {
  transport: [],
  sync: ['transport'],
  channels: ['transport', 'sync'],
  dialects: ['transport', 'sync', 'channels'],
  react: ['transport', 'sync', 'channels', 'core'],
  core: ['transport', 'sync', 'channels'],
  devtools: ['transport', 'sync', 'react'],
  testing: ['transport', 'sync', 'channels', 'dialects', 'server'],
  server: ['transport', 'sync', 'channels'],
  next: ['transport', 'sync', 'channels'],
}
/** Packages each layer may not import. */
const forbidden: Record<string, RegExp> = {
  transport: /^(@tanstack\/|zod|react|react-dom)(\/|$)|^node:|^(ws|http|net)$/,
  sync: /^(zod|react|react-dom|@tanstack\/react-query)(\/|$)|^node:|^(ws|http|net)$/,
  channels: /^(zod|react|react-dom|@tanstack\/react-query)(\/|$)|^node:|^(ws|http|net)$/,
  dialects: /^(zod|react|react-dom|@tanstack\/react-query)(\/|$)|^node:|^(ws|http|net)$/,
  core: /^(react|react-dom|@tanstack\/react-query)(\/|$)|^node:/,
  react: /^(zod)(\/|$)|^node:|^(ws|http|net)$/,
  // A route handler for the Node.js and the edge runtime: web APIs only, no React, no schema library.
  next: /^(@tanstack\/|zod|react|react-dom)(\/|$)|^node:|^(ws|http|net)$/,
}

test('each layer imports only the layers below it, and none of the packages it must not', () => {
  const offending: string[] = []
  for (const file of files) {
    const layer = layerOf(file)
    if (!(layer in allowed)) continue
    for (const spec of specifiersOf(file)) {
      const target = resolveImport(file, spec)
      if (target === null) {
        if (forbidden[layer]?.test(spec)) offending.push(`${file} imports ${spec}`)
        continue
      }
      const targetLayer = layerOf(target)
      if (targetLayer !== layer && !allowed[layer]!.includes(targetLayer)) offending.push(`${file} (${layer}) imports ${target} (${targetLayer})`)
      // A dialect is one backend: it never reaches into another's module.
      if (layer === 'dialects' && targetLayer === 'dialects' && target !== file && !target.endsWith('index.ts') && !file.endsWith('index.ts')) offending.push(`${file} imports another dialect, ${target}`)
    }
  }
  expect(offending).toEqual([])
})

test('no module imports itself back through others (type-only imports included)', () => {
  const graph = new Map(files.map((file) => [file, specifiersOf(file).map((spec) => resolveImport(file, spec)).filter((t): t is string => t !== null)]))
  const cycles: string[] = []
  const state = new Map<string, 'active' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'active')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'active') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of files) if (!state.has(file)) visit(file)
  expect(cycles).toEqual([])
})

test('the layers are folders a reader can find', () => {
  for (const layer of ['transport', 'sync', 'channels', 'dialects', 'react', 'server']) expect(existsSync(join('src', layer)), layer).toBe(true)
})
