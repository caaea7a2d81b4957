import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { bundle } from '../../../web/build.js'
import { startNode, type TestNode } from './test_node.js'

const WEB = fileURLToPath(new URL('../../../web/', import.meta.url))

/** Headless Chromium as the browser tests use it (no sandbox in CI containers, no background traffic). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A fresh static dir as a node serves it: console and demo pages plus freshly built bundles. */
export async function staticDir(): Promise<{ dir: string; bundles: string[]; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-static-'))
  await cp(join(WEB, 'console'), join(dir, 'console'), { recursive: true })
  await cp(join(WEB, 'demo'), join(dir, 'demo'), { recursive: true })
  const built = await bundle(join(dir, 'dist'))
  return { dir, bundles: built.map((b) => b.name), remove: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Where screenshots go: BECKON_SCREENSHOTS (`make screenshots` sets docs/img) or a temp dir,
 * so every run leaves pictures to look at.
 */
const SHOTS = resolve(process.env.BECKON_SCREENSHOTS || join(tmpdir(), 'beckon-screenshots'))

/** Saves a screenshot named NAME.png (the whole page unless `fullPage: false`) and returns its path. */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<string> {
  await mkdir(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage })
  return path
}

/**
 * Opens `url` in a new context of `browser` (1440x900 unless `options` say otherwise), with
 * `waitMs` as the default timeout; any page error fails the test through `fail`. The context
 * joins `contexts`, which the test's teardown closes.
 */
export async function openPage(
  browser: Browser,
  contexts: BrowserContext[],
  url: string,
  {
    fail,
    waitMs,
    ...options
  }: Parameters<Browser['newContext']>[0] & { fail: (message: string) => void; waitMs: number },
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options })
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(waitMs)
  page.on('pageerror', (error) => fail(`page error on ${url}: ${error.message}`))
  await page.goto(url)
  return page
}

export interface AxeViolation {
  id: string
  impact: string
  /** CSS selectors of the offending elements. */
  nodes: string[]
}

/** Runs axe-core in the page (on the elements `selector` matches, else the whole page); returns its serious and critical violations. */
export async function axeViolations(page: Page, selector?: string): Promise<AxeViolation[]> {
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
  // Contrast is checked on final colours, not mid-animation (the widget's panel rises in with a fade).
  await page.emulateMedia({ reducedMotion: 'reduce' })
  await page.addScriptTag({ content: await readFile(axePath, 'utf8') })
  const violations = await page.evaluate(async (context) => {
    type Result = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }
    const axe = (window as unknown as { axe: { run(context?: string): Promise<Result> } }).axe
    const result = await (context === undefined ? axe.run() : axe.run(context))
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }))
  }, selector)
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/**
 * What a widget browser test stands on: a static dir (built bundles), a node serving it,
 * site `site` allowing the node's own origin (the demo pages), and headless Chromium; all
 * removed when `t` ends.
 */
export async function widgetTestbed(
  t: Test,
  site: string,
  env: Record<string, string> = {},
): Promise<{ web: Awaited<ReturnType<typeof staticDir>>; node: TestNode; browser: Browser }> {
  const web = await staticDir()
  let node: TestNode | undefined
  let browser: Browser | undefined
  t.teardown(async () => {
    await browser?.close()
    await node?.stop()
    await web.remove()
  })
  node = await startNode({ BECKON_STATIC_DIR: web.dir, ...env })
  await node.site(site, { origins: [node.base] })
  browser = await launchBrowser()
  return { web, node, browser }
}
