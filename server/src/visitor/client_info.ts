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

type ParsedDevice = Omit<ClientInfo['device'], 'ua'>

/** Distinct User-Agent strings whose parse is kept (a site's traffic repeats a few hundred). */
const UA_CACHE_ENTRIES = 1024

/**
 * ua-parser-js runs a few hundred regexes per string (about 0.2 ms, most of an upgrade's CPU);
 * real traffic repeats the same strings, so parses are kept, least recently used evicted.
 */
const parsedAgents = new Map<string, ParsedDevice>()

/** The device a User-Agent names, parsed once per distinct string while it stays in use. */
export function parseUserAgent(ua: string): ParsedDevice {
  const cached = parsedAgents.get(ua)
  if (cached) {
    parsedAgents.delete(ua) // re-inserted: Map order is recency
    parsedAgents.set(ua, cached)
    return cached
  }
  const parsed = new UAParser(ua).getResult()
  const device: ParsedDevice = {
    platform: devicePlatform(parsed.device.type),
    os: parsed.os.name,
    browser: parsed.browser.name,
  }
  parsedAgents.set(ua, device)
  if (parsedAgents.size > UA_CACHE_ENTRIES) parsedAgents.delete(parsedAgents.keys().next().value as string)
  return device
}

/** How many parses are kept (tests: the cache stays bounded). */
export const parsedAgentCount = (): number => parsedAgents.size

export function resolveClientInfo(
  peer: string,
  headers: { forwardedFor: string; userAgent: string; acceptLanguage: string },
  trusted: BlockList,
): ClientInfo {
  const ip = clientIp(peer, headers.forwardedFor, trusted)
  const geo = isIP(ip) ? geoip.lookup(ip) : null
  const ua = headers.userAgent.slice(0, 512)
  return {
    ip,
    geo: geo ? { country: geo.country || undefined, region: geo.region || undefined, city: geo.city || undefined } : {},
    device: { ...parseUserAgent(ua), ua },
    language: primaryLanguage(headers.acceptLanguage),
  }
}
