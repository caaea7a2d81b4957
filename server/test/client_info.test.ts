import { BlockList } from 'node:net'
import t from 'tap'
import { parsedAgentCount, resolveClientInfo } from '../src/visitor/client_info.js'

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const headers = (userAgent: string) => ({ forwardedFor: '', userAgent, acceptLanguage: 'de-DE,de;q=0.9' })

t.test('a User-Agent resolves to its device, one shared frozen copy for every upgrade that repeats it', async (t) => {
  const first = resolveClientInfo('::ffff:127.0.0.1', headers(IPHONE), new BlockList())
  t.same(first.device, { platform: 'mobile', os: 'iOS', browser: 'Mobile Safari', ua: IPHONE })
  t.equal(first.language, 'de-DE')
  const desktop = resolveClientInfo('127.0.0.1', headers(CHROME), new BlockList())
  t.same(desktop.device, { platform: 'desktop', os: 'Windows', browser: 'Chrome', ua: CHROME })
  const again = resolveClientInfo('127.0.0.1', headers(IPHONE), new BlockList())
  t.equal(again.device, first.device, 'parsed once, shared')
  t.throws(() => {
    ;(again.device as { os?: string }).os = 'changed by a caller'
  }, TypeError)
  t.equal(first.device.os, 'iOS', 'no caller can change the shared copy')
})

t.test('kept parses stay bounded however many distinct User-Agents arrive', async (t) => {
  for (let i = 0; i < 5000; i++) resolveClientInfo('127.0.0.1', headers(`${CHROME} build/${i}`), new BlockList())
  t.ok(parsedAgentCount() <= 2000, `${parsedAgentCount()} parses kept`)
  const latest = resolveClientInfo('127.0.0.1', headers(`${CHROME} build/4999`), new BlockList())
  t.equal(latest.device.browser, 'Chrome', 'the most recent one is kept and right')
})
