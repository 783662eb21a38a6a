/**
 * `live-status/next` runs on the Node.js and the edge runtime: its whole module graph (with what it
 * takes from the transport and sync layers) imports no package and no `node:` module, and uses no
 * Node.js global. Its public options document their defaults.
 */
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

function moduleGraph(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), `${spec}.ts`))
      else throw new Error(`${relative('.', file)} imports ${spec}: the route handler must use web APIs only`)
    }
  }
  visit(resolve(entry))
  return [...seen].map((file) => relative('.', file))
}

test('the module graph of live-status/next is relative imports only: no package, no node: module', () => {
  const files = moduleGraph('src/next/index.ts')
  expect(files).toContain('src/transport/sse/sseParser.ts')
  expect(files.some((file) => /react|server/.test(file))).toBe(false)
})

test('no Node.js globals: only web APIs (Request, Response, ReadableStream, TextEncoder, fetch, timers)', () => {
  const offending: string[] = []
  for (const file of moduleGraph('src/next/index.ts')) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    for (const name of ['process', 'Buffer', 'require', 'global', '__dirname', 'setImmediate']) {
      if (new RegExp(`\\b${name}\\b`).test(code)) offending.push(`${file} uses ${name}`)
    }
  }
  expect(offending).toEqual([])
})

test('every optional member of the public options interfaces has TSDoc with @default', () => {
  const missing: string[] = []
  for (const file of ['src/next/options.ts', 'src/next/source.ts', 'src/next/referenceServerSource.ts', 'src/next/jobSource.ts']) {
    const source = ts.createSourceFile(file, readFileSync(resolve(file), 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        for (const member of node.members) {
          if (!ts.isPropertySignature(member) || !member.questionToken) continue
          if (!ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default')) missing.push(`${file}: ${node.name.text}.${member.name.getText(source)}`)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  expect(missing).toEqual([])
})
