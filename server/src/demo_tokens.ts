import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

/**
 * The demo's secrets, kept in `<data dir>/demo-tokens.json` (mode 0600) so that saved commands
 * and console links keep working across `make run`s. Deleting the file rotates all of them on
 * the next start: a new admin token, and a new site secret, which invalidates every operator
 * token and identity hash signed with the old one.
 */
export interface DemoTokens {
  adminToken: string
  siteSecret: string
  /** Signed with `siteSecret`; re-issued when it no longer verifies or is about to expire. */
  operatorToken?: string
}

export const DEMO_TOKENS_FILE = 'demo-tokens.json'

const tokensSchema = z.object({
  adminToken: z.string().min(16),
  siteSecret: z.string().min(16),
  operatorToken: z.string().optional(),
})

/** Checks a parsed token file; throws an Error naming the file and the way out. */
export function parseDemoTokens(value: unknown, file: string): DemoTokens {
  const parsed = tokensSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${file}: ${issue?.path.join('.')} ${issue?.message} (delete the file to create new demo tokens)`)
  }
  return parsed.data
}

/** Reads the demo's tokens from `dataDir`, creating the file with fresh ones if it is missing. */
export function loadDemoTokens(dataDir: string): { tokens: DemoTokens; file: string } {
  const file = join(dataDir, DEMO_TOKENS_FILE)
  if (existsSync(file)) {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new Error(`${file}: not JSON (${(error as Error).message}); delete it to create new demo tokens`)
    }
    return { tokens: parseDemoTokens(json, file), file }
  }
  const tokens = {
    adminToken: randomBytes(18).toString('base64url'),
    siteSecret: randomBytes(24).toString('base64url'),
  }
  saveDemoTokens(file, tokens)
  return { tokens, file }
}

export function saveDemoTokens(file: string, tokens: DemoTokens): void {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 })
}
