import type { Browser } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { launchBrowser, screenshot, staticDir } from './support/browser.js'
import { operatorRequest } from './support/operator_request.js'
import { connectOperator } from './support/test_operator.js'
import { startNode, type TestNode } from './support/test_node.js'
import { until } from './support/until.js'

const WAIT_MS = 8_000

t.test('operator settings and transfer in the console, in a real browser against a real node', async (t) => {
  const web = await staticDir()
  const n: TestNode = await startNode({ BECKON_STATIC_DIR: web.dir, BECKON_LINGER_SECONDS: '0' })
  await n.site()
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('site missing')
  const browser: Browser = await launchBrowser()
  t.teardown(async () => {
    await browser.close()
    await n.stop()
    await web.remove()
  })
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } })
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT_MS)
  page.on('pageerror', (error) => t.fail(`console page error: ${error.message}`))
  const annToken = await signOperatorToken(site, { id: 'ann', name: 'ann', perms: ['sees_all_online_visitors'] })
  await page.goto(`${n.base}/console/#token=${annToken}`)
  await page.locator('[data-testid=status][data-state=online]').waitFor()

  t.test('My settings: validated by the node, saved, and the name replaces the id', async (t) => {
    await page.getByTestId('open-operator-settings').click()
    const dialog = page.getByTestId('operator-settings')
    await dialog.waitFor()
    t.equal(await page.getByTestId('settings-max-chats').inputValue(), '5', 'the node’s default')
    await page.getByTestId('settings-name').fill('Anna Berg')
    await page.getByTestId('settings-avatar').fill('javascript:alert(1)')
    await page.getByTestId('operator-settings-save').click()
    t.match(
      await page.getByTestId('settings-error-avatar').textContent(),
      /https:\/\/ URL or a site-relative/,
      'the refused field says why',
    )
    await page.getByTestId('settings-avatar').fill('')
    await page.getByTestId('settings-max-chats').fill('2')
    await page.getByTestId('settings-auto-accept').check()
    await page.getByTestId('operator-settings-save').click()
    await page.getByTestId('settings-status').filter({ hasText: 'Saved.' }).waitFor()
    t.equal(await dialog.getByTestId('operator-avatar').textContent(), 'AB', 'no avatar: initials')
    await screenshot(page, 'operator-settings-1024', { fullPage: false })
    t.match((await operatorRequest(n, 'GET', '/v1/sites/shop/operators/me/settings', { id: 'ann' })).body, {
      displayName: 'Anna Berg',
      maxChats: 2,
      autoAccept: true,
    })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await page.getByTestId('identity').filter({ hasText: 'Anna Berg @ shop' }).waitFor()
    t.pass('the top bar names the operator')
  })

  t.test('auto-accept, then transfer to a named colleague from the thread', async (t) => {
    const saved = await operatorRequest(
      n,
      'PATCH',
      '/v1/sites/shop/operators/me/settings',
      { id: 'bob' },
      { displayName: 'Bob Stone', maxChats: 3 },
    )
    t.equal(saved.status, 200)
    const bob = await connectOperator(n, 'bob', { watch: false })
    t.teardown(() => bob.close())
    await until('both online', () => n.node.presence.online('shop').length === 2)
    const { client } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'msg', text: 'Can someone help?' })
    const chat = await client.next((f) => f.t === 'chat' && f.operator === 'ann')
    t.match(chat, { accepted: true, operatorName: 'Anna Berg' }, 'auto-accepted: the visitor sees her name')
    await page.getByTestId('chat-state').filter({ hasText: 'assigned to you' }).waitFor()
    t.ok(await page.getByTestId('accept').isDisabled(), 'nothing left to accept')

    await page.getByTestId('transfer').click()
    const menu = page.getByTestId('transfer-menu')
    const target = menu.locator('[data-testid=transfer-operator][data-operator-id=bob]')
    await target.filter({ hasText: 'Bob Stone' }).waitFor()
    t.match(await target.textContent(), /0\/3 chats/, 'its load and limit')
    t.notOk(await menu.locator('[data-operator-id=ann]').count(), 'not offered to oneself')
    t.strictSame(
      await menu.getByTestId('transfer-department').evaluateAll((els) => els.map((e) => e.textContent)),
      ['sales', 'support'],
      'the site’s departments',
    )
    await screenshot(page, 'chat-transfer-1024', { fullPage: false })
    await target.click()
    t.match(
      await bob.next((f) => f.t === 'chat' && f.conversation === chat.conversation && f.operator === 'bob'),
      { accepted: false, transferredBy: 'ann' },
      'offered to bob',
    )
    await page.getByTestId('chat-state').filter({ hasText: 'with Bob Stone' }).waitFor()
    t.pass('the thread names where the chat went')
    await menu.waitFor({ state: 'hidden' })
  })
})
