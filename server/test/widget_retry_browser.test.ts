import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import { bundle } from '../../web/build.js'
import { messageLog, openKey } from '../src/chat/conversation.js'
import type { Store } from '../src/store/store.js'
import { startNode, type TestNode } from './support/test_node.js'
import { until } from './support/until.js'

const WEB = fileURLToPath(new URL('../../web/', import.meta.url))
const SITE = 'demo'
const WAIT_MS = 10_000
const SCREENSHOT = '/tmp/beckon-widget-retry.png'

// Before the page's scripts: keep every socket the widget opens, so a test can drop one.
const RECORD_SOCKETS = `
  window.welcomes = 0
  window.beckon = function () { (beckon.q = beckon.q || []).push(arguments) }
  beckon('on', 'welcome', (w) => { welcomes++; window.visitor = w.visitor })
  window.sockets = []
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets.push(this) }
  }
`

interface PageGlobals {
  welcomes: number
  visitor: string
  sockets: WebSocket[]
}

/** The texts of the stored messages of a visitor's open conversation. */
async function storedTexts(store: Store, page: Page): Promise<string[]> {
  const visitor = await page.evaluate(() => (window as unknown as PageGlobals).visitor)
  const open = await store.get<{ conversation: string }>('conversations', openKey(SITE, visitor))
  if (!open) return []
  const records = await store.read<{ text: string }>(messageLog(SITE, open.value.conversation), 0)
  return records.map((r) => r.value.text)
}

t.test('widget: refused messages show failed with a retry; the offline queue flushes within the rate', async (t) => {
  const staticDir = await mkdtemp(join(tmpdir(), 'beckon-web-'))
  let n: TestNode | undefined
  let browser: Browser | undefined
  t.teardown(async () => {
    await browser?.close()
    await n?.stop()
    await rm(staticDir, { recursive: true, force: true })
  })
  await cp(join(WEB, 'demo'), join(staticDir, 'demo'), { recursive: true })
  await bundle(join(staticDir, 'dist'))
  n = await startNode({ BECKON_STATIC_DIR: staticDir, BECKON_EVENTS_BURST: '40', BECKON_EVENTS_PER_SECOND: '20' })
  const node = n
  await node.site(SITE, { origins: [node.base] })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
  const chrome = browser

  async function openPage(): Promise<Page> {
    const context = await chrome.newContext({ viewport: { width: 1100, height: 720 } })
    t.teardown(() => context.close())
    await context.addInitScript(RECORD_SOCKETS)
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/`)
    await page.waitForFunction(() => (window as unknown as PageGlobals).welcomes >= 1, undefined, { timeout: WAIT_MS })
    await page.getByTestId('launcher').click()
    return page
  }

  t.test('a message the server refuses shows failed; Retry delivers it once', async (t) => {
    const page = await openPage()
    const store = node.node.store
    const append = store.append.bind(store)
    store.append = async () => {
      throw new Error('disk full')
    }
    t.teardown(() => {
      store.append = append
    })
    await page.getByTestId('input').fill('Is the Pro plan monthly?')
    await page.getByTestId('send').click()
    const line = page.locator('[data-testid="message"][data-from="visitor"]')
    await page.getByTestId('retry').waitFor({ timeout: WAIT_MS })
    t.match(await line.getAttribute('class'), /failed/, 'shown as failed, not as pending forever')
    await page.screenshot({ path: SCREENSHOT, animations: 'disabled' })
    t.same(await storedTexts(store, page), [])

    store.append = append
    await page.getByTestId('retry').click()
    await page.locator('[data-testid="message"][data-from="visitor"]:not(.pending):not(.failed)').waitFor({
      timeout: WAIT_MS,
    })
    t.equal(await line.count(), 1, 'one line for the message')
    t.equal(await line.textContent(), 'Is the Pro plan monthly?', 'the retry control is gone')
    t.same(await storedTexts(store, page), ['Is the Pro plan monthly?'], 'stored exactly once')
  })

  t.test('50 messages queued while the socket is down are all delivered after reconnecting', async (t) => {
    const page = await openPage()
    const texts = Array.from({ length: 50 }, (_, i) => `queued ${i}`)
    await page.evaluate((all) => {
      const g = window as unknown as PageGlobals
      g.sockets.at(-1)?.close()
      const root = document.querySelector('beckon-widget')?.shadowRoot
      const input = root?.querySelector<HTMLInputElement>('[data-testid="input"]')
      const form = root?.querySelector<HTMLFormElement>('[data-testid="composer"]')
      if (!input || !form) throw new Error('no composer')
      for (const text of all) {
        input.value = text
        form.requestSubmit()
      }
    }, texts)
    await page.waitForFunction(() => (window as unknown as PageGlobals).welcomes >= 2, undefined, {
      timeout: WAIT_MS,
    })
    const delivered = await until(
      'all 50 delivered or failed',
      async () => {
        const lines = await page
          .locator('[data-testid="message"][data-from="visitor"]')
          .evaluateAll((lis) => lis.map((li) => ({ text: li.firstChild?.textContent, state: li.className })))
        return lines.every((l) => !l.state.includes('pending')) && lines
      },
      WAIT_MS,
    )
    t.same(
      delivered.filter((l) => l.state.includes('failed')).map((l) => l.text),
      [],
      'none refused by the rate limit',
    )
    t.same(await storedTexts(node.node.store, page), texts, 'all stored once, in order')
  })
})
