// "No file imports another that imports it back": the import graph of src-main and of the
// renderer's stores has no cycle (type-only imports count too: they tie the files' meaning).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../helpers/paths'

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? filesUnder(p) : /\.(ts|vue)$/.test(n) && !n.endsWith('.d.ts') ? [p] : []
  })
}

/** The file a relative specifier names (.ts, .vue, or a folder's index.ts); null for packages. */
function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const base = resolve(dirname(from), spec)
  for (const c of [base, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c
  return null
}

/** The relative imports of each file (a .vue file's script included). */
export function importGraph(roots: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const f of roots.flatMap(filesUnder)) {
    const text = readFileSync(f, 'utf8')
    const deps = new Set<string>()
    for (const m of text.matchAll(IMPORT)) {
      const to = resolveImport(f, m[1] ?? m[2] ?? m[3]!)
      if (to) deps.add(to)
    }
    graph.set(f, [...deps])
  }
  return graph
}

/** Every cycle's files (one list per strongly connected component of more than one file, or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components, iteratively.
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  for (const start of graph.keys()) {
    if (index.has(start)) continue
    const work: [string, number][] = [[start, 0]]
    index.set(start, next)
    low.set(start, next++)
    stack.push(start)
    onStack.add(start)
    while (work.length) {
      const top = work[work.length - 1]!
      const [v, i] = top
      const deps = graph.get(v) ?? []
      if (i < deps.length) {
        top[1]++
        const w = deps[i]!
        if (!index.has(w)) {
          index.set(w, next)
          low.set(w, next++)
          stack.push(w)
          onStack.add(w)
          work.push([w, 0])
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
        continue
      }
      work.pop()
      if (work.length) {
        const u = work[work.length - 1]![0]
        low.set(u, Math.min(low.get(u)!, low.get(v)!))
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = []
        let w: string
        do {
          w = stack.pop()!
          onStack.delete(w)
          scc.push(w)
        } while (w !== v)
        if (scc.length > 1 || deps.includes(v)) out.push(scc.map((f) => relative(REPO_ROOT, f)).sort())
      }
    }
  }
  return out
}

describe('imports', () => {
  it('finds a cycle when there is one (the check can fail)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(cycles(g).map((c) => c.length)).toEqual([3])
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([])
  })

  it('no file in src-main or the renderer stores imports another that imports it back', () => {
    const graph = importGraph([join(REPO_ROOT, 'src-main'), join(REPO_ROOT, 'src-renderer', 'src', 'stores')])
    expect(graph.size).toBeGreaterThan(100)
    const found = cycles(graph)
    expect(found).toEqual([])
  })
})
