/**
 * Runs the tap suite and ends with the plain `N passed, N failed` line CI reads.
 * Exit code is tap's own. Tap runs on this process's Node (the one the runtime switch picked),
 * and so does every test file, since tap spawns them with its own execPath.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const tap = spawn(process.execPath, ['node_modules/.bin/tap', '--reporter=tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let passed = 0
let failed = 0
let skipped = 0
let summary = false
for await (const line of createInterface({ input: tap.stdout })) {
  process.stdout.write(`${line}\n`)
  // tap ends with a comment like `# { total: 12, pass: 11, fail: 1, skip: 0 }`
  const match = /^# \{ total: \d+(.*)\}$/.exec(line.trim())
  if (!match) continue
  summary = true
  const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(match[1] ?? '')?.[1] ?? 0)
  passed = field('pass')
  failed = field('fail')
  skipped = field('skip') + field('todo')
}
const code: number = await new Promise((resolve) => tap.on('close', (c) => resolve(c ?? 1)))
if (!summary && code === 0) failed = 1
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0)
