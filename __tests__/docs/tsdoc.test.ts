import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

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
