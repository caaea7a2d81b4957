/**
 * Bundles the browser code: web/widget → web/dist/widget.js and, when present,
 * web/console/console.tsx → web/dist/console.js and console.css (Preact JSX; IIFE, minified, source maps), for
 * the browsers in BROWSER_TARGETS.
 * Run: node --import tsx web/build.ts
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const WEB = dirname(fileURLToPath(import.meta.url))

/**
 * The oldest browsers served: those of 2021-2022 (all have ES2022 syntax). The widget already
 * needed them for `Object.hasOwn` (Chrome 93, Firefox 92, Safari 15.4); esbuild lowers any
 * syntax they lack. Older ones (iOS before 15.4 among them) are not supported.
 */
export const BROWSER_TARGETS = ['chrome93', 'edge93', 'firefox92', 'safari15.4', 'ios15.4']

/** The widget loads on every page of every site that embeds it: the build fails above this. */
export const WIDGET_BUDGET_BYTES = 25 * 1024

/**
 * Members private to the widget's classes, renamed to short names in widget.js (esbuild
 * `mangleProps`, one name per member across the bundle). None of them is a DOM, wire-frame
 * or public API name, so renaming is safe; a member missing here only costs bytes. Worth about
 * 1.6 KB of the widget's budget.
 */
const WIDGET_PRIVATE_MEMBERS = [
  'acceptInvite',
  'actions',
  'addMessage',
  'announce',
  'announcedOpen',
  'announcedUrl',
  'armed',
  'attempt',
  'backoff',
  'baseMs',
  'burst',
  'capMs',
  'changed',
  'chat',
  'check',
  'closed',
  'connect',
  'connection',
  'current',
  'details',
  'dismissInvite',
  'dropped',
  'emit',
  'events',
  'exitIntent',
  'fire',
  'flush',
  'flushTimer',
  'handlers',
  'hello',
  'hideInvite',
  'host',
  'input',
  'invite',
  'isOpen',
  'item',
  'leadEmail',
  'leadStored',
  'left',
  'line',
  'listeners',
  'memory',
  'messageFailed',
  'mount',
  'navigated',
  'offlineFailed',
  'offlineSent',
  'offlineStored',
  'openedAt',
  'own',
  'pages',
  'part',
  'perSecond',
  'queue',
  'rate',
  'rated',
  'ready',
  'rearm',
  'received',
  'refilledAt',
  'renderState',
  'renderView',
  'retryAt',
  'scheduleFlush',
  'scrollDown',
  'seen',
  'sendLive',
  'sendState',
  'sentAt',
  'setChat',
  'setConnection',
  'setTeam',
  'setUnread',
  'shadow',
  'showInvite',
  'showOfflineError',
  'showTyping',
  'socket',
  'start',
  'status',
  'stop',
  'stopped',
  'storage',
  'submitMessage',
  'submitOffline',
  'take',
  'timer',
  'timers',
  'tokens',
  'typingFrom',
  'typingOut',
  'typingTimer',
  'ui',
  'unread',
  'wake',
  'welcome',
  'welcomed',
  'welcomedBefore',
]

const BUNDLES = [
  {
    name: 'widget',
    entry: join(WEB, 'widget/index.ts'),
    optional: false,
    budget: WIDGET_BUDGET_BYTES,
    mangleProps: new RegExp(`^(${WIDGET_PRIVATE_MEMBERS.join('|')})$`),
  },
  {
    name: 'console',
    entry: join(WEB, 'console/console.tsx'),
    optional: true,
    budget: Infinity,
    mangleProps: undefined,
  },
] as const

export interface BundleReport {
  name: string
  file: string
  bytes: number
  gzipBytes: number
}

/** Builds every bundle whose entry exists into `outdir` (default web/dist). */
export async function bundle(outdir = join(WEB, 'dist')): Promise<BundleReport[]> {
  const reports: BundleReport[] = []
  for (const { name, entry, optional, budget, mangleProps } of BUNDLES) {
    if (optional && !existsSync(entry)) continue
    const file = join(outdir, `${name}.js`)
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: BROWSER_TARGETS,
      minify: true,
      sourcemap: true,
      charset: 'utf8',
      legalComments: 'none',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'warning',
      mangleProps,
      // Fields without initialisers then cost nothing (TS semantics; nothing here relies on define).
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    })
    const code = await readFile(file)
    const report = { name, file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length }
    if (report.bytes > budget) throw new Error(`${name}.js is ${report.bytes} bytes, over its budget of ${budget}`)
    reports.push(report)
  }
  return reports
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    for (const r of await bundle()) {
      console.log(
        `${relative(process.cwd(), r.file)}: ${(r.bytes / 1024).toFixed(1)} KB minified, ${(r.gzipBytes / 1024).toFixed(1)} KB gzip`,
      )
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
