import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
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
