/**
 * What an idle visitor holds: a node in this process, heap snapshots before and after N idle
 * visitors connect (from a generator process), the difference per visitor by object kind.
 * Run with --expose-gc: node --expose-gc --import tsx server/bench/visitor_heap.ts [N]
 * bench.ts runs it as part c2 and prints the top rows.
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { setupLoadSite } from '../../loadtest/generator/site_setup.js'
import { ADMIN_TOKEN, startNode } from '../test/support/test_node.js'
import { GeneratorProcess } from './generator_process.js'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}

/** Self size and count per `type:constructor` of every node in a heap snapshot file. */
function kinds(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  rmSync(file)
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number]
  const out = new Map<string, { count: number; bytes: number }>()
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const t = types[snap.nodes[i + type] as number] as string
    const named = t === 'object' || t === 'closure'
    const key = named
      ? `${t} ${snap.strings[snap.nodes[i + name] as number]}`
      : `(${t.replace(/^(concatenated|sliced) /, '')})`
    const entry = out.get(key) ?? { count: 0, bytes: 0 }
    entry.count += 1
    entry.bytes += snap.nodes[i + size] as number
    out.set(key, entry)
  }
  return out
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

export interface HeapRow {
  kind: string
  bytesPerVisitor: number
  objectsPerVisitor: number
}

/** Heap bytes per idle visitor in total and by kind, largest first. */
export async function visitorHeap(count: number): Promise<{ total: number; rows: HeapRow[] }> {
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with --expose-gc')
  const node = await startNode({ BECKON_MAX_CONNECTIONS_PER_IP: '1000000', BECKON_LINGER_SECONDS: '1' })
  try {
    await setupLoadSite({
      base: node.base,
      adminToken: ADMIN_TOKEN,
      site: 'load',
      secret: 'bench-heap-secret-0123456789',
      inviteAfterSeconds: 2,
    })
    const open = (n: number, host: string): GeneratorProcess =>
      GeneratorProcess.start('events', {
        url: `${node.ws}/v1/visitor?site=load`,
        site: 'load',
        count: n,
        frames: 0,
        'local-address': host,
        'max-seconds': 120,
      })
    // Warm-up: code, shapes and caches every visitor shares are made before the first snapshot.
    const warm = open(300, '127.0.0.60')
    await warm.connected()
    await warm.close()
    await new Promise((resolve) => setTimeout(resolve, 2500))
    gc()
    const before = kinds(writeHeapSnapshot(join(tmpdir(), `beckon-heap-a-${process.pid}.heapsnapshot`)))
    const g = open(count, '127.0.0.61')
    await g.connected()
    await new Promise((resolve) => setTimeout(resolve, 2500))
    gc()
    const after = kinds(writeHeapSnapshot(join(tmpdir(), `beckon-heap-b-${process.pid}.heapsnapshot`)))
    await g.close()
    const rows = [...after].map(([kind, v]) => ({
      kind,
      bytesPerVisitor: (v.bytes - (before.get(kind)?.bytes ?? 0)) / count,
      objectsPerVisitor: (v.count - (before.get(kind)?.count ?? 0)) / count,
    }))
    rows.sort((a, b) => b.bytesPerVisitor - a.bytesPerVisitor)
    return { total: rows.reduce((n, r) => n + r.bytesPerVisitor, 0), rows }
  } finally {
    await node.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { total, rows } = await visitorHeap(Number(process.argv[2] ?? 3000))
  process.stdout.write(`JS heap per idle visitor: ${total.toFixed(0)} B\n`)
  for (const r of rows.slice(0, 20))
    process.stdout.write(
      `${r.bytesPerVisitor.toFixed(0).padStart(6)} B ${r.objectsPerVisitor.toFixed(2).padStart(6)} objects  ${r.kind}\n`,
    )
  process.exit(0)
}
