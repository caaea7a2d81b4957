import { isIP, type BlockList } from 'node:net'
import geoip from 'geoip-lite'
import { UAParser } from 'ua-parser-js'
import type { DevicePlatform } from '../../../shared/src/protocol.js'

/** What the upgrade request tells about a visitor: address, location, device and language. */
export interface ClientInfo {
  ip: string
  geo: { country?: string; region?: string; city?: string }
  device: { platform: DevicePlatform; os?: string; browser?: string; ua: string }
  language?: string
}

/** uWS reports IPv4 peers as IPv4-mapped IPv6 text; normalise so CIDRs and geo lookups match. */
function normaliseIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return mapped?.[1] ?? ip
}

/**
 * The client IP: the socket peer, unless the peer is a trusted proxy, in which case the
 * right-most X-Forwarded-For hop that is not itself a trusted proxy.
 */
export function clientIp(peer: string, forwardedFor: string, trusted: BlockList): string {
  let ip = normaliseIp(peer)
  if (!forwardedFor) return ip
  const hops = forwardedFor.split(',').map((s) => normaliseIp(s.trim()))
  while (isTrusted(ip, trusted)) {
    const next = hops.pop()
    if (next === undefined || isIP(next) === 0) break
    ip = next
  }
  return ip
}

function isTrusted(ip: string, trusted: BlockList): boolean {
  const family = isIP(ip)
  return family !== 0 && trusted.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

export function devicePlatform(type: string | undefined): DevicePlatform {
  if (type === 'mobile' || type === 'wearable') return 'mobile'
  if (type === 'tablet') return 'tablet'
  return 'desktop'
}

/** First language tag of an Accept-Language header, e.g. `de-DE,de;q=0.9` → `de-DE`. */
export function primaryLanguage(acceptLanguage: string): string | undefined {
  const tag = acceptLanguage.split(',')[0]?.split(';')[0]?.trim()
  return tag && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag) ? tag : undefined
}

/**
 * Values many visitors share (the same browser, city or language), kept once: each visitor's
 * ClientInfo points at the shared, frozen copy instead of holding its own, and a user agent
 * is parsed once, not on every connection. Bounded: past `max` keys the oldest is dropped
 * (visitors holding it keep their copy).
 */
class Interned<V> {
  private readonly values = new Map<string, V>()

  constructor(private readonly max: number) {}

  get(key: string, make: () => V): V {
    let value = this.values.get(key)
    if (value === undefined) {
      if (this.values.size >= this.max) this.values.delete(this.values.keys().next().value as string)
      value = make()
      this.values.set(key, value)
    }
    return value
  }

  get size(): number {
    return this.values.size
  }
}

const devices = new Interned<ClientInfo['device']>(2000)
const places = new Interned<ClientInfo['geo']>(5000)
const languages = new Interned<string>(500)
const NO_GEO: ClientInfo['geo'] = Object.freeze({})

/** How many parsed User-Agents are kept (tests: the cache stays bounded). */
export const parsedAgentCount = (): number => devices.size

function deviceOf(ua: string): ClientInfo['device'] {
  return devices.get(ua, () => {
    const parsed = new UAParser(ua).getResult()
    return Object.freeze({
      platform: devicePlatform(parsed.device.type),
      os: parsed.os.name,
      browser: parsed.browser.name,
      ua,
    })
  })
}

function geoOf(ip: string): ClientInfo['geo'] {
  const geo = isIP(ip) ? geoip.lookup(ip) : null
  if (!geo || !(geo.country || geo.region || geo.city)) return NO_GEO
  return places.get(`${geo.country}|${geo.region}|${geo.city}`, () =>
    Object.freeze({ country: geo.country || undefined, region: geo.region || undefined, city: geo.city || undefined }),
  )
}

export function resolveClientInfo(
  peer: string,
  headers: { forwardedFor: string; userAgent: string; acceptLanguage: string },
  trusted: BlockList,
): ClientInfo {
  const ip = clientIp(peer, headers.forwardedFor, trusted)
  const tag = primaryLanguage(headers.acceptLanguage)
  const language = tag && languages.get(tag, () => tag)
  return { ip, geo: geoOf(ip), device: deviceOf(headers.userAgent.slice(0, 512)), language }
}
