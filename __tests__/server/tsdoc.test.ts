import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : []
  })

// __tests__/docs/tsdoc.test.ts lists files by name; the server's options now live in several.
test('every optional member of an exported interface in src/server has TSDoc with @default', () => {
  const missing: string[] = []
  for (const file of filesUnder('src/server')) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        for (const member of node.members) {
          if (!(ts.isPropertySignature(member) || ts.isMethodSignature(member)) || !member.questionToken) continue
          if (!ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default')) missing.push(`${file}: ${node.name.text}.${member.name.getText(source)}`)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  expect(missing).toEqual([])
})
