/**
 * Aho–Corasick automaton: finds every pattern occurring in a text in one pass over the text,
 * whatever the number of patterns (the substring index behind `contains`/`starts_with`).
 */
export class AhoCorasick {
  /** Per node: char code → child node. */
  private readonly next: Array<Map<number, number> | undefined> = [undefined]
  private readonly fail: number[] = [0]
  /** Pattern ids ending exactly at the node. */
  private readonly ends: Array<number[] | undefined> = [undefined]
  /** Nearest proper suffix node (via failure links) where a pattern ends; 0 = none. */
  private readonly output: number[] = [0]
  /** The root's ASCII transitions as a dense table (0 = stay at the root): most steps start there. */
  private readonly rootAscii = new Int32Array(128)

  /** Pattern i gets id i; empty patterns are ignored. */
  constructor(patterns: readonly string[]) {
    patterns.forEach((pattern, id) => {
      if (pattern === '') return
      let node = 0
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i)
        let children = this.next[node]
        if (!children) this.next[node] = children = new Map()
        let child = children.get(code)
        if (child === undefined) {
          child = this.fail.length
          children.set(code, child)
          this.next.push(undefined)
          this.fail.push(0)
          this.ends.push(undefined)
          this.output.push(0)
        }
        node = child
      }
      ;(this.ends[node] ??= []).push(id)
    })
    for (const [code, child] of this.next[0] ?? []) if (code < 128) this.rootAscii[code] = child
    // Breadth-first, so a node's failure target is final before its children need it.
    const queue: number[] = [...(this.next[0]?.values() ?? [])]
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number
      for (const [code, child] of this.next[node] ?? []) {
        let f = this.fail[node] as number
        while (f !== 0 && !this.next[f]?.has(code)) f = this.fail[f] as number
        const t = this.next[f]?.get(code) ?? 0
        this.fail[child] = t
        this.output[child] = this.ends[t] ? t : (this.output[t] as number)
        queue.push(child)
      }
    }
  }

  /** Appends the id of every pattern occurrence in `text` to `out` (an id repeats per occurrence). */
  search(text: string, out: number[]): void {
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      let child = node === 0 ? undefined : this.next[node]?.get(code)
      while (child === undefined && node !== 0) {
        node = this.fail[node] as number
        if (node !== 0) child = this.next[node]?.get(code)
      }
      if (child === undefined) child = code < 128 ? (this.rootAscii[code] as number) : (this.next[0]?.get(code) ?? 0)
      node = child
      for (let n = node; n !== 0; n = this.output[n] as number) {
        const ends = this.ends[n]
        if (ends) for (const id of ends) out.push(id)
      }
    }
  }
}
