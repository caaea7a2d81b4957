import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { TestClient, type Frame } from './support/test_client.js'
import { startNode } from './support/test_node.js'
import { until } from './support/until.js'

const ids = (frame: Frame): string[] => (frame.list as Frame[]).map((v) => v.id as string)

t.test('windowed visitor lists on one node', async (t) => {
  const n = await startNode({
    BECKON_FEED_INTERVAL_MS: '10',
    BECKON_LINGER_SECONDS: '0',
    BECKON_VIEW_MAX_LIMIT: '50',
    BECKON_VIEW_DEFAULT_LIMIT: '20',
  })
  t.teardown(() => n.stop())
  await n.site()
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  /** Sees every department unless given some. */
  const watcher = async (id: string, departments?: string[]): Promise<TestClient> => {
    const op = await TestClient.connect(`${n.ws}/v1/operator`)
    const perms = departments ? [] : ['sees_all_online_visitors']
    op.send({ t: 'auth', token: await signOperatorToken(site, { id, departments, perms }) })
    await op.next('ready')
    return op
  }

  // Five visitors: pages 1..5 views, alternating URLs; Carol has a name and is in sales.
  const visitors: Awaited<ReturnType<typeof n.visitor>>[] = []
  for (let i = 1; i <= 5; i++) {
    const v = await n.visitor({
      page: { url: `https://shop.example/${i % 2 ? 'pricing' : 'blog'}/${i}`, title: `${i}` },
      ...(i === 3 ? { context: { department: 'sales' } } : {}),
    })
    for (let p = 1; p < i; p++)
      v.client.send({ t: 'page', url: `https://shop.example/${i % 2 ? 'pricing' : 'blog'}/${i}/${p}`, title: '' })
    visitors.push(v)
  }
  const id = (i: number): string => visitors[i - 1]?.welcome.visitor
  await until('page views applied', () =>
    visitors.every((v, i) => n.node.hub.get('shop', v.welcome.visitor)?.visit.pageViews === i + 1),
  )
  visitors[2]?.client.send({ t: 'contact', name: 'Carol Example', email: 'carol@example.com' })
  await until('contact applied', () => n.node.hub.get('shop', id(3))?.profile.name === 'Carol Example')

  await t.test('no view: the whole list, as before, with its total', async (t) => {
    const op = await watcher('plain')
    op.send({ t: 'watch', site: 'shop' })
    const snapshot = await op.next('visitors')
    t.equal(snapshot.total, 5)
    t.equal((snapshot.list as Frame[]).length, 5)
    t.notOk('limit' in snapshot)
    await op.close()
  })

  await t.test('filter, sort and window; moving the window is one frame', async (t) => {
    const op = await watcher('windowed')
    op.send({ t: 'watch', site: 'shop', view: { filter: { url: 'PRICING' }, sort: { by: 'pages' }, limit: 2 } })
    const first = await op.next('visitors')
    t.match(first, { total: 3, offset: 0, limit: 2 })
    t.strictSame(ids(first), [id(5), id(3)], 'most pages first')
    op.send({
      t: 'watch',
      site: 'shop',
      view: { filter: { url: 'pricing' }, sort: { by: 'pages', dir: 'asc' }, offset: 1, limit: 2 },
    })
    const moved = await op.next('visitors')
    t.match(moved, { total: 3, offset: 1, limit: 2 })
    t.strictSame(ids(moved), [id(3), id(5)])

    // Visitor 1 (pricing, 1 page) climbs to 6 pages: it enters the ascending window's end.
    for (let p = 0; p < 5; p++)
      visitors[0]?.client.send({ t: 'page', url: `https://shop.example/pricing/x${p}`, title: '' })
    const order = await op.next((f) => f.t === 'window' && (f.ids as string[])[1] === id(1))
    t.match(order, { total: 3, offset: 1, ids: [id(5), id(1)] })
    t.match(await op.next('gone'), { visitor: id(3) }, 'visitor 3 left the window')

    // A change outside the filter sends nothing; a new match changes the total.
    visitors[1]?.client.send({ t: 'page', url: 'https://shop.example/blog/again', title: '' })
    const newcomer = await n.visitor({ page: { url: 'https://shop.example/pricing/new', title: '' } })
    const grown = await op.next((f) => f.t === 'window' && f.total === 4)
    t.strictSame(grown.ids, [id(3), id(5)], 'the newcomer (1 page) sorts first, shifting the window')
    t.notOk(
      op.frames.some((f) => f.t === 'visitor' && f.id === id(2)),
      'no frame about a visitor outside the view',
    )
    await newcomer.client.close()
    await op.next((f) => f.t === 'window' && f.total === 3)
    await op.close()
  })

  await t.test('filters: search, country, department, returning, chat, invited', async (t) => {
    const op = await watcher('filters')
    const total = async (filter: object): Promise<[number, string[]]> => {
      op.send({ t: 'watch', site: 'shop', view: { filter } })
      const s = await op.next('visitors')
      return [s.total as number, ids(s)]
    }
    t.strictSame(await total({ q: 'carol@' }), [1, [id(3)]], 'by email')
    t.strictSame(await total({ q: 'CAROL ex' }), [1, [id(3)]], 'by name')
    t.strictSame(await total({ q: id(4) }), [1, [id(4)]], 'by id')
    t.strictSame(await total({ department: 'sales' }), [1, [id(3)]])
    t.strictSame(await total({ country: 'de' }), [0, []], 'loopback has no country')
    t.strictSame((await total({ returning: false }))[0], 5)
    t.strictSame((await total({ returning: true }))[0], 0)
    t.strictSame((await total({ chat: true }))[0], 0)
    const admin = await watcher('inviter')
    admin.send({ t: 'invite', visitor: id(4), text: 'Hi', startChat: false })
    await visitors[3]?.client.next('invite')
    await until('invitation counted', async () => (await total({ invited: true }))[0] === 1)
    t.strictSame((await total({ invited: true, chat: false }))[1], [id(4)])
    await Promise.all([op.close(), admin.close()])
  })

  await t.test('an operator limited to a department counts only what it may see', async (t) => {
    const op = await watcher('support-only', ['support'])
    op.send({ t: 'watch', site: 'shop', view: { filter: { department: 'sales' } } })
    t.match(await op.next('visitors'), { total: 0, list: [] })
    await op.close()
  })

  await t.test('a bad view is a bad_frame with its reason, and the socket stays', async (t) => {
    const op = await watcher('bad')
    const bad = [
      [{ limit: 51 }, /view\.limit/],
      [{ limit: 0 }, /view\.limit/],
      [{ sort: { by: 'name' } }, /view\.sort\.by/],
      [{ filter: { colour: 'red' } }, /view\.filter/],
      [{ filter: { country: 'Germany' } }, /ISO/],
      ['all', /view/],
    ] as const
    for (const [view, reason] of bad) {
      op.send({ t: 'watch', site: 'shop', view })
      t.match(await op.next('error'), { code: 'bad_frame', ref: 'watch', message: reason })
    }
    op.send({ t: 'watch', site: 'shop', view: {} })
    t.match(await op.next('visitors'), { total: 5, limit: 20, offset: 0 })
    await op.close()
  })

  await t.test('a pinned visitor is followed outside the window; its gone means it left', async (t) => {
    const op = await watcher('pinner')
    // Pages now: 1 → 6, 2 → 3, 3 → 3, 4 → 4, 5 → 5; the one-row window holds visitor 1.
    op.send({ t: 'watch', site: 'shop', view: { sort: { by: 'pages' }, limit: 1, pin: id(2) } })
    t.strictSame(ids(await op.next('visitors')), [id(1)])
    t.match(await op.next('visitor'), { id: id(2), pageViews: 3 }, 'the pin outside the window, after the snapshot')
    visitors[1]?.client.send({ t: 'page', url: 'https://shop.example/blog/pinned', title: '' })
    t.match(await op.next('visitor'), { id: id(2), pageViews: 4 }, 'its changes still come')
    await visitors[1]?.client.close()
    t.match(await op.next('gone'), { visitor: id(2) }, 'gone once it left the site')
    t.match(await op.next('window'), { total: 4, ids: [id(1)] }, 'the window kept its row')
    op.send({ t: 'watch', site: 'shop', view: { limit: 1, pin: id(2) } })
    await op.next('visitors')
    t.match(await op.next('gone'), { visitor: id(2) }, 'a pin no longer live is gone at the snapshot')
    await op.close()
  })

  await Promise.all(visitors.map((v) => v.client.close()))
})
