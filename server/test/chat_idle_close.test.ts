import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { TestClient } from './support/test_client.js'
import { startTwoNodes } from './support/test_cluster.js'
import { startNode, type TestNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'
import { until } from './support/until.js'
import { idleText, sweepInterval } from '../src/chat/idle_closer.js'
import { parseConfig } from '../src/config.js'

/** 1.2 s: long enough to see a present visitor's chat stay open, short enough to wait for. */
const IDLE_MINUTES = '0.02'
const IDLE_MS = 1200

type Stored = { from: string; text: string }

/** Operator `ann` starts a chat with a fresh visitor of `n`; returns the visitor and conversation id. */
async function chatWith(n: TestNode, ann: TestClient): Promise<{ client: TestClient; conversation: string }> {
  const { client, welcome } = await n.visitor()
  await ann.next((f) => f.t === 'visitor' && f.id === welcome.visitor)
  ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Hello!', startChat: true })
  const chat = await client.next('chat')
  return { client, conversation: chat.conversation as string }
}

const notes = async (n: TestNode, conversation: string) =>
  (await n.node.store.read<Stored>(`shop.${conversation}`, 0)).map((r) => r.value).filter((m) => m.from === 'system')

t.test('config: fractional minutes, 0 = off, bad values refused', async (t) => {
  t.equal(parseConfig({}).chatIdleCloseMinutes, 30, 'default 30 minutes')
  t.equal(parseConfig({ BECKON_CHAT_IDLE_CLOSE_MINUTES: '0.05' }).chatIdleCloseMinutes, 0.05)
  t.equal(parseConfig({ BECKON_CHAT_IDLE_CLOSE_MINUTES: '0' }).chatIdleCloseMinutes, 0)
  t.throws(() => parseConfig({ BECKON_CHAT_IDLE_CLOSE_MINUTES: '-1' }), /BECKON_CHAT_IDLE_CLOSE_MINUTES/)
  t.throws(() => parseConfig({ BECKON_CHAT_IDLE_CLOSE_MINUTES: 'soon' }), /expected a number/)
  t.equal(idleText(30 * 60_000), '30 minutes')
  t.equal(idleText(60_000), '1 minute')
  t.equal(idleText(1200), '1 second')
  t.equal(sweepInterval(30 * 60_000), 60_000, 'a long idle time is looked at once a minute')
})

t.test('one node: a present visitor keeps the chat; a gone one gets it closed with a note', async (t) => {
  const n = await startNode({
    BECKON_CHAT_IDLE_CLOSE_MINUTES: IDLE_MINUTES,
    BECKON_LINGER_SECONDS: '0',
    BECKON_FEED_INTERVAL_MS: '20',
  })
  t.teardown(() => n.stop())
  await n.site('shop')
  const ann = await connectOperator(n, 'ann')
  const { client, conversation } = await chatWith(n, ann)
  const started = Date.now()

  await until('the idle time to pass', () => Date.now() - started > IDLE_MS * 2)
  t.same(await n.node.idleCloser.sweep(), [], 'a visitor with a connected tab is not idle')
  t.notOk(
    ann.frames.some((f) => f.t === 'chat' && f.state === 'closed'),
    'the chat is still open',
  )

  const left = Date.now()
  await client.close()
  const closed = await ann.next((f) => f.t === 'chat' && f.conversation === conversation && f.state === 'closed')
  t.ok(Date.now() - left >= IDLE_MS, `closed only after the idle time (${Date.now() - left} ms)`)
  t.match(closed, { state: 'closed', operator: 'ann' })
  const note = await ann.next((f) => f.t === 'msg' && f.conversation === conversation && f.from === 'system')
  t.equal(note.text, 'Chat closed automatically: the visitor was away for 1 second.')
  t.notOk('operator' in note, 'a system note has no operator')
  t.same(
    await notes(n, conversation),
    [note].map(({ from, text }) => ({ from, text, at: note.at })),
    'stored once',
  )
  await until(
    'the visitor to be free for a new chat',
    async () => !(await n.node.store.get('conversations', `shop.open.${closed.visitor}`)),
  )
  await ann.close()
})

t.test('after a restart the chat closes from stored last-seen data', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-idle-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // First life: idle close off; the visitor chats, then leaves.
  const first = await startNode({ BECKON_CHAT_IDLE_CLOSE_MINUTES: '0', BECKON_LINGER_SECONDS: '0' }, dir)
  await first.site('shop')
  let ann = await connectOperator(first, 'ann')
  const { client, conversation } = await chatWith(first, ann)
  await client.close()
  await until('the visitor to leave', () => [...first.node.hub.visitors('shop')].length === 0)
  await ann.close()
  await first.stop()

  const again = await startNode({ BECKON_CHAT_IDLE_CLOSE_MINUTES: IDLE_MINUTES, BECKON_LINGER_SECONDS: '0' }, dir)
  t.teardown(() => again.stop())
  ann = await connectOperator(again, 'ann')
  await until('the stored chat to close', async () => (await notes(again, conversation)).length === 1)
  const record = await again.node.store.get<{ state: string; closedAt: number }>(
    'conversations',
    `shop.c.${conversation}`,
  )
  t.equal(record?.value.state, 'closed')
  await ann.close()
})

t.test('two nodes: the chat closes once, whichever node looks', async (t) => {
  const { a, b } = await startTwoNodes(t, 'idle', { BECKON_CHAT_IDLE_CLOSE_MINUTES: IDLE_MINUTES })
  await a.site('shop')
  const ann = await connectOperator(a, 'ann')
  const bob = await connectOperator(b, 'bob', { perms: ['sees_all_online_visitors'] })

  // Both nodes close the same chat at the same moment: compare-and-set lets exactly one through.
  const present = await chatWith(a, ann)
  const raced = await Promise.all([
    a.node.chat.closeBySystem('shop', present.conversation, 'race', 'test'),
    b.node.chat.closeBySystem('shop', present.conversation, 'race', 'test'),
  ])
  t.same(raced.filter(Boolean).length, 1, `one closer wins (${raced})`)
  t.equal((await notes(a, present.conversation)).length, 1, 'one note')
  await present.client.close()

  // A visitor of node a leaves: both nodes sweep, the chat closes once.
  const gone = await chatWith(a, ann)
  await gone.client.close()
  await bob.next((f) => f.t === 'chat' && f.conversation === gone.conversation && f.state === 'closed')
  await Promise.all([a.node.idleCloser.sweep(), b.node.idleCloser.sweep()])
  t.equal((await notes(b, gone.conversation)).length, 1, 'one system note')
  t.equal(
    bob.frames.filter((f) => f.t === 'chat' && f.conversation === gone.conversation && f.state === 'closed').length,
    0,
    'no second close announced',
  )
  await Promise.all([ann.close(), bob.close()])
})
