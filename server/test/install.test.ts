import t from 'tap'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * A clean `npm ci` is quiet: no install script left unreviewed (npm 11's allowScripts notice)
 * and no locked package whose `engines` rules out a Node that beckon supports (EBADENGINE).
 */

const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean }
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  allowScripts?: Record<string, boolean>
  optionalDependencies: Record<string, string>
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean; engines?: Record<string, string> | string[] }>
}
/** `node_modules/a/node_modules/@s/b` → `@s/b` */
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)

t.test('every install script in the lockfile is reviewed in package.json allowScripts', async (t) => {
  const scripted = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => nameOf(path))
  t.ok(scripted.length > 0, 'the lockfile has packages with install scripts')
  t.same(
    scripted.filter((name) => pkg.allowScripts?.[name] === undefined),
    [],
    'each one approved (true) or denied (false)',
  )
})

t.test('every locked package admits Node 20 (the local runtime), 22 and 24', async (t) => {
  const runtime = /@(\d+\.\d+\.\d+)$/.exec(pkg.optionalDependencies['node-runtime-linux-x64'] ?? '')?.[1]
  t.match(runtime, /^20\./, 'the local runtime is a Node 20')
  const nodes = [runtime ?? '', '22.12.0', '24.0.0']
  const refused = Object.entries(lock.packages).flatMap(([path, p]) => {
    const range = Array.isArray(p.engines) ? undefined : p.engines?.node
    return range ? nodes.filter((v) => !semver.satisfies(v, range)).map((v) => `${nameOf(path)} (${range}) ✗ ${v}`) : []
  })
  t.same(refused, [])
  t.notOk(semver.satisfies('20.20.2', '>= 22.x'), 'the check can fail: @nats-io/nuid 3.0.0 declared this')
})
