import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'
import { tsProgram } from '../helpers/tsProgram'

// Files whose exported interfaces are public options: every optional member documents its default.
const files = [
  'src/transport/options.ts',
  'src/sync/liveStatusClient.ts',
  'src/transport/frameDecoder.ts',
  'src/transport/connection.ts',
  'src/sync/defineChannel.ts',
  'src/sync/endpoints.ts',
  'src/channels/commands.ts',
  'src/channels/operationCommands.ts',
  'src/channels/operationVocabulary.ts',
  'src/sync/liveInvalidation.ts',
  'src/transport/authTransport.ts',
  'src/server/liveStatusServer.ts',
  'src/server/options.ts',
  'src/server/logger.ts',
  'src/server/standalone.ts',
  'src/server/eventBus.ts',
  'src/transport/crossTab/crossTab.ts',
  'src/devtools/devtoolsMonitor.ts',
  'src/devtools/LiveStatusDevtools.tsx',
  'src/devtools/LiveStatusDevtoolsPanel.tsx',
  'src/devtools/liveStatusDevtoolsPlugin.tsx',
  'src/devtools/LiveStatusProfiler.tsx',
  'src/react/LiveStatusProvider.tsx',
  'src/react/useLiveQuery.ts',
  'src/react/useIndexStatus.ts',
  'src/react/useOperationProgress.ts',
  'src/react/useLiveInvalidation.ts',
  'src/react/ConnectionStatus.tsx',
]

test('every optional member of a public options interface has TSDoc with @default', () => {
  const missing: string[] = []
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(resolve(file), 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        for (const member of node.members) {
          if (!ts.isPropertySignature(member) || !member.questionToken) continue
          const tags = ts.getJSDocTags(member).map((tag) => tag.tagName.text)
          if (!tags.includes('default')) missing.push(`${file}: ${node.name.text}.${member.name.getText(source)}`)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  expect(missing).toEqual([])
})

// Issue "Three layers", item 6: 71 exported names had no documentation. Every name an entry of
// package.json exports says what it is (TSDoc on its declaration), read from the entry's source
// as the published types carry it.
test('every name a public entry exports has TSDoc', () => {
  const pkg = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { exports: Record<string, { types?: string }> }
  const entries = Object.values(pkg.exports)
    .map((entry) => entry.types)
    .filter((types): types is string => !!types)
    .map((types) => resolve(types.replace('./dist/types/', 'src/').replace(/\.d\.ts$/, '.ts')))
  const program = tsProgram(entries)
  const checker = program.getTypeChecker()
  const missing: string[] = []
  let names = 0
  for (const file of entries) {
    const source = program.getSourceFile(file) ?? program.getSourceFile(file.replace(/\.ts$/, '.tsx'))
    expect(source, file).toBeDefined()
    for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source!)!)) {
      names++
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      if (!ts.displayPartsToString(target.getDocumentationComment(checker)).trim()) missing.push(`${file.replace(`${resolve('.')}/`, '')}: ${symbol.name}`)
    }
  }
  expect(entries.length).toBeGreaterThanOrEqual(12)
  expect(names).toBeGreaterThan(200)
  expect(missing).toEqual([])
}, 60_000)
