import { readFile } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
}

/**
 * The public part of the static dir, by top-level folder: the built bundles and the pages that
 * load them. Sources, configs and source maps next to them are never served.
 */
const PUBLIC: Record<string, readonly string[]> = {
  dist: ['.js', '.css'],
  console: ['.html', '.css'],
  demo: ['.html', '.css', '.svg', '.png', '.ico'],
}

export interface StaticFile {
  body: Buffer
  type: string
}

/**
 * Serves the public assets below one directory (PUBLIC; with `sourceMaps`, also dist/*.map);
 * `/x/` means `/x/index.html`. Anything else, and paths escaping the root, are not found.
 */
export class StaticFiles {
  private readonly root: string
  private readonly public: Record<string, readonly string[]>

  constructor(root: string, opts: { sourceMaps?: boolean } = {}) {
    this.root = resolve(root)
    this.public = opts.sourceMaps ? { ...PUBLIC, dist: [...PUBLIC.dist!, '.map'] } : PUBLIC
  }

  async read(urlPath: string): Promise<StaticFile | undefined> {
    let path: string
    try {
      path = decodeURIComponent(urlPath)
    } catch {
      return undefined
    }
    if (path.endsWith('/')) path += 'index.html'
    const file = resolve(this.root, `.${path}`)
    if (!file.startsWith(this.root + sep) || path.includes('\0')) return undefined
    const [folder = '', ...rest] = file.slice(this.root.length + 1).split(sep)
    const ext = extname(file)
    if (rest.length === 0 || !Object.hasOwn(this.public, folder) || !this.public[folder]?.includes(ext))
      return undefined
    if (rest.some((segment) => segment.startsWith('.'))) return undefined
    try {
      return { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream' }
    } catch {
      return undefined
    }
  }
}
