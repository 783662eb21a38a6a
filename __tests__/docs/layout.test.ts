import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!)

test('src/core imports neither React nor Node built-ins: it runs in browsers, Node and SSR alike', () => {
  const offending = filesUnder('src/core').flatMap((file) =>
    importsOf(file)
      .filter((spec) => /^(react|react-dom|@tanstack\/react-query)(\/|$)|^node:|^(ws|http|net)$/.test(spec))
      .map((spec) => `${file} imports ${spec}`),
  )
  expect(offending).toEqual([])
})

test('src/react reaches the core only through its modules, never the server or testing code', () => {
  const offending = filesUnder('src/react').flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.includes('/server') || spec.includes('/testing') || spec === 'ws')
      .map((spec) => `${file} imports ${spec}`),
  )
  expect(offending).toEqual([])
})
