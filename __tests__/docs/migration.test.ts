import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, test } from 'vitest'
import { tsProgram } from '../helpers/tsProgram'

// Issue "Three layers", item 6: every name moved, renamed or no longer exported gets a line in the
// README's migration table. exports-0.2.txt lists what `live-status` exported in 0.2 (its
// src/index.ts as the issue measured it, 124 names).
const exportsOf = (entry: string): Set<string> => {
  const file = resolve(entry)
  const program = tsProgram([file])
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!
  return new Set(checker.getExportsOfModule(module).map((symbol) => symbol.name))
}

test("every name 0.2 exported from 'live-status' and 0.3 does not is in the README's migration table", () => {
  const before = readFileSync(resolve('__tests__/docs/exports-0.2.txt'), 'utf8').split('\n').filter(Boolean)
  const now = exportsOf('src/index.ts')
  const readme = readFileSync(resolve('README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('## Migrating from 0.2'), readme.indexOf('\n## ', readme.indexOf('## Migrating from 0.2') + 1))
  const gone = before.filter((name) => !now.has(name))
  // The check reads the current exports: a list of one would mean the entry was not read.
  expect(now.size).toBeGreaterThan(50)
  expect(gone.length).toBeGreaterThan(0)
  expect(gone.filter((name) => !table.includes(`\`${name}\``))).toEqual([])
}, 60_000)
