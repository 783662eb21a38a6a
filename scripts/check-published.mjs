// The package as npm would publish it: packed to a tarball, then checked by
// @arethetypeswrong/cli (types resolve under node10 is not asked: ESM only — node16 and bundler
// resolution, from ESM) and publint --strict. Run after `npm run build`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'live-status-pack-'))
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' })
try {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n')
  const tarball = join(dir, out[out.length - 1])
  run('npx', ['--no-install', 'attw', '--pack', tarball, '--profile', 'esm-only'])
  run('npx', ['--no-install', 'publint', '--strict', '--pack', 'npm'])
  console.log('published package check: attw (esm-only) and publint --strict passed')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
