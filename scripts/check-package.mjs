// Checks the built package as a consumer sees it: every export resolves, has types, the React
// entry keeps 'use client', and nothing reachable from live-status/core imports React.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const failures = []

for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === 'string') continue
  for (const file of [target.import, target.types]) {
    if (!existsSync(join(root, file))) failures.push(`${subpath}: ${file} is missing`)
  }
}

const reactEntry = readFileSync(join(root, pkg.exports['.'].import), 'utf8')
if (reactEntry.includes('jsx-dev-runtime')) failures.push('the React entry imports react/jsx-dev-runtime (development JSX): Next.js production builds fail on it')
const firstLine = reactEntry.split('\n')[0]
if (!/^['"]use client['"];?$/.test(firstLine)) failures.push(`the React entry does not start with 'use client' (got ${firstLine})`)

// Walk the module graph of the core entry through relative imports.
const seen = new Set()
const walk = (file) => {
  if (seen.has(file)) return
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  for (const [, spec] of text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    if (spec.startsWith('.')) walk(resolve(dirname(file), spec))
    else if (/^react(-dom)?($|\/)|^@tanstack\/react-query/.test(spec)) failures.push(`${file} imports ${spec}`)
  }
}
walk(join(root, pkg.exports['./core'].import))

// The socket layer imports neither TanStack nor anything else outside itself (no schema library).
const transportSeen = new Set()
const walkTransport = (file) => {
  if (transportSeen.has(file)) return
  transportSeen.add(file)
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    if (spec.startsWith('.')) walkTransport(resolve(dirname(file), spec))
    else failures.push(`${file} (live-status/transport) imports ${spec}`)
  }
}
walkTransport(join(root, pkg.exports['./transport'].import))

const expected = {
  './core': ['SocketHub', 'createSocketHub', 'LiveStatusClient', 'defineChannel', 'createOperationChannel', 'operationProgressOptions'],
  './transport': ['SocketHub', 'createSocketHub', 'backoffDelayMs', 'closeAction', 'reconnectDecision', 'CloseCode'],
  './dialects/document-indexer': ['documentIndexer', 'documentIndexerEvents', 'documentIndexerOperationChannel'],
  './dialects/ontology-editor': ['ontologyEditor'],
  './dialects/transcriber': ['transcriber'],
  './dialects/app-builder': ['appBuilder'],
  './server': ['createLiveStatusServer', 'LiveStatusServer', 'InMemoryEventBus'],
  './testing': ['createMockLiveBackend', 'mockReferenceServer', 'playScenario', 'operationEvents'],
  './next': ['createSseRouteHandler', 'referenceServerSource', 'jobSource', 'SourceError'],
}
for (const [subpath, names] of Object.entries(expected)) {
  const mod = await import(join(root, pkg.exports[subpath].import))
  for (const name of names) if (!(name in mod)) failures.push(`live-status${subpath.slice(1)} does not export ${name}`)
}

// Each bin runs from the built package: its file exists, starts with a shebang (Vite drops banners
// per entry, so it must survive from the source), and answers --help with exit 0.
for (const [name, file] of Object.entries(pkg.bin ?? {})) {
  const path = join(root, file)
  if (!existsSync(path)) {
    failures.push(`bin ${name}: ${file} is missing`)
    continue
  }
  const first = readFileSync(path, 'utf8').split('\n')[0]
  if (first !== '#!/usr/bin/env node') failures.push(`bin ${name}: ${file} does not start with #!/usr/bin/env node (got ${first})`)
  const help = spawnSync(process.execPath, [path, '--help'], { encoding: 'utf8', timeout: 10_000 })
  if (help.status !== 0 || !help.stdout.includes(`Usage: ${name}`)) failures.push(`bin ${name}: --help exited ${help.status}: ${help.stderr.slice(0, 300)}`)
}

if (failures.length) {
  console.error(`package check failed:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log(`package check: ${Object.keys(pkg.exports).length - 1} entry points, ${Object.keys(pkg.bin ?? {}).length} bin, core graph of ${seen.size} files free of React`)
