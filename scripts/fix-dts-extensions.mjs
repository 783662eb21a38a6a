// tsc writes declaration imports as the sources spell them ('./socketHub'): fine for `bundler`
// resolution, an error (TS2834) or `any` for `node16` / `nodenext` consumers. Give every relative
// specifier in dist/types its real file: './socketHub.js' or './channels/index.js'.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'dist', 'types')
let rewritten = 0
const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]))
for (const file of files(root).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8')
  const next = text.replace(/(from\s+|import\()(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g, (match, lead, quote, spec) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return match
    const base = resolve(dirname(file), spec)
    const target = existsSync(`${base}.d.ts`) ? `${spec}.js` : existsSync(join(base, 'index.d.ts')) ? `${spec.replace(/\/$/, '')}/index.js` : null
    if (!target) throw new Error(`fix-dts-extensions: ${file} imports ${spec}, which has no declaration file`)
    rewritten++
    return `${lead}${quote}${target}${quote}`
  })
  if (next !== text) writeFileSync(file, next)
}
console.log(`fix-dts-extensions: ${rewritten} relative imports now name their .js file`)
