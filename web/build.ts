/**
 * Bundles the browser code: web/widget → web/dist/widget.js and, when present,
 * web/console/console.tsx → web/dist/console.js and console.css (Preact JSX; IIFE, minified, ES2019, source maps).
 * Run: node --import tsx web/build.ts
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const WEB = dirname(fileURLToPath(import.meta.url))

/** The widget loads on every page of every site that embeds it: the build fails above this. */
export const WIDGET_BUDGET_BYTES = 25 * 1024

const BUNDLES = [
  { name: 'widget', entry: join(WEB, 'widget/index.ts'), optional: false, budget: WIDGET_BUDGET_BYTES },
  { name: 'console', entry: join(WEB, 'console/console.tsx'), optional: true, budget: Infinity },
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
  for (const { name, entry, optional, budget } of BUNDLES) {
    if (optional && !existsSync(entry)) continue
    const file = join(outdir, `${name}.js`)
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2019',
      minify: true,
      sourcemap: true,
      charset: 'utf8',
      legalComments: 'none',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'warning',
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
