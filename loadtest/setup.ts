/**
 * Prepares a running node for the load tests: creates the site and the kb campaign through the
 * admin API and prints an operator token (for k6's OPERATOR_TOKEN and the generator's --token).
 *
 *   BASE_URL=http://127.0.0.1:8080 BECKON_ADMIN_TOKEN=... SITE=load node --import tsx loadtest/setup.ts
 *
 * Env: BASE_URL (http://127.0.0.1:8080), BECKON_ADMIN_TOKEN (required), SITE (load),
 * SITE_SECRET (a fixed development secret), INVITE_AFTER_SECONDS (2).
 */
import { setupLoadSite } from './generator/site_setup.js'

const adminToken = process.env.BECKON_ADMIN_TOKEN
if (!adminToken) {
  process.stderr.write('setup: BECKON_ADMIN_TOKEN is required (the node must run with the same one)\n')
  process.exit(2)
}
const site = process.env.SITE ?? 'load'
const { operatorToken } = await setupLoadSite({
  base: (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
  adminToken,
  site,
  secret: process.env.SITE_SECRET ?? 'load-test-secret-0123456789',
  inviteAfterSeconds: Number(process.env.INVITE_AFTER_SECONDS ?? 2),
})
process.stderr.write(`site ${site} and campaign load-kb ready\n`)
process.stdout.write(`OPERATOR_TOKEN=${operatorToken}\n`)
