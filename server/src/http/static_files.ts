import { readFile } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
}

export interface StaticFile {
  body: Buffer
  type: string
}

/** Serves files below one directory; `/x/` means `/x/index.html`. Paths escaping the root are not found. */
export class StaticFiles {
  private readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
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
    const type = TYPES[extname(file)]
    if (!type) return undefined
    try {
      return { body: await readFile(file), type }
    } catch {
      return undefined
    }
  }
}
