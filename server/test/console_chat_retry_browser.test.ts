import type { Page } from 'playwright-core'
import t from 'tap'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { launchBrowser, screenshot, staticDir } from './support/browser.js'
import type { Frame } from './support/test_client.js'
import { startNode } from './support/test_node.js'
import { until } from './support/until.js'

const SITE = 'shop'
const WAIT_MS = 8_000
/** Small enough that an operator can type a message the node refuses. */
const MAX_TEXT = 80

t.test('an operator message the node refuses or cannot receive shows as failed, with a retry', async (t) => {
  const web = await staticDir()
  const n = await startNode({ BECKON_STATIC_DIR: web.dir, BECKON_MAX_TEXT_LENGTH: String(MAX_TEXT) })
  await n.site(SITE)
  const site = n.node.sites.get(SITE)
  if (!site) throw new Error('site missing')
  const browser = await launchBrowser()
  const { client: visitor, welcome } = await n.visitor()
  t.teardown(async () => {
    await visitor.close()
    await browser.close()
    await n.stop()
    await web.remove()
  })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const ann: Page = await context.newPage()
  ann.setDefaultTimeout(WAIT_MS)
  ann.on('pageerror', (error) => t.fail(`console page error: ${error.message}`))
  await ann.goto(`${n.base}/console/#token=${await signOperatorToken(site, { id: 'ann', name: 'Ann' })}`)
  const online = () => ann.locator('[data-testid=status][data-state=online]').waitFor()
  await online()

  await ann.locator(`[data-testid=visitor-row][data-visitor-id="${welcome.visitor}"]`).click()
  await ann.getByTestId('invite-text').fill('Hello!')
  await ann.getByTestId('invite-start').click()
  await visitor.next((f: Frame) => f.t === 'msg' && f.text === 'Hello!')
  const messages = ann.getByTestId('chat-message')
  await messages.filter({ hasText: 'Hello!' }).and(ann.locator('[data-status=sent]')).waitFor()

  const send = async (text: string) => {
    await ann.getByTestId('chat-input').fill(text)
    await ann.getByTestId('chat-send').click()
  }
  const failed = ann.locator('[data-testid=chat-message][data-status=failed]')

  t.test('refused by the node (error frame with ref msg): failed with the reason, retry, discard', async (t) => {
    const long = `This answer is longer than the node accepts: ${'x'.repeat(MAX_TEXT)}`
    await send(long)
    await failed.filter({ hasText: long }).waitFor()
    t.match(await failed.getByTestId('chat-failure').textContent(), /bad_frame/, 'the reason from the error frame')
    t.equal(await ann.getByTestId('chat-input').inputValue(), '', 'the text lives on in the thread, not the input')
    t.comment(`screenshot: ${await screenshot(ann, 'console-message-failed')}`)

    await failed.getByTestId('chat-retry').click()
    await failed.filter({ hasText: long }).and(ann.locator('[data-attempts="2"]')).waitFor()
    t.match(await failed.getByTestId('chat-failure').textContent(), /2 tries/, 'refused again, and says so')
    t.equal(await messages.filter({ hasText: long }).count(), 1, 'a retry replaces the failed entry, never adds one')

    await send('Short enough.')
    t.match(
      await visitor.next((f: Frame) => f.t === 'msg' && f.from === 'operator'),
      { text: 'Short enough.' },
      'the refused text never reached the visitor; the next message did',
    )
    await messages.filter({ hasText: 'Short enough.' }).and(ann.locator('[data-status=sent]')).waitFor()
    await failed.getByTestId('chat-discard').click()
    await failed.waitFor({ state: 'detached' })
  })

  t.test('sent while disconnected: failed, and delivered by a retry once back online', async (t) => {
    await context.setOffline(true)
    const dropped = new Set(n.node.operators.sessionsOf(SITE))
    for (const session of dropped) session.close(CLOSE_CODE.serviceRestart, 'test restart')
    await ann.locator('[data-testid=status][data-state=offline]').waitFor()
    await send('Are you still there?')
    await failed.filter({ hasText: 'Are you still there?' }).waitFor()
    t.match(await failed.getByTestId('chat-failure').textContent(), /not connected/)

    await context.setOffline(false)
    await until('the console to authenticate again', () =>
      [...n.node.operators.sessionsOf(SITE)].some((s) => !dropped.has(s) && s.ready && s.watching),
    )
    await online()
    await failed.getByTestId('chat-retry').click()
    t.match(await visitor.next((f: Frame) => f.t === 'msg' && f.from === 'operator'), { text: 'Are you still there?' })
    await messages.filter({ hasText: 'Are you still there?' }).and(ann.locator('[data-status=sent]')).waitFor()
    t.equal(await failed.count(), 0, 'nothing left failed')
    t.equal(await messages.filter({ hasText: 'Are you still there?' }).count(), 1, 'shown once')
  })
})
