import type { Example } from '../../src-main/shared/training'
import type { PlainSpan } from '../../src-main/shared/tags'
import type { TitleSpec } from './project'

/** 8 tiny product titles with brand / category / color / size entities (incl. emoji, full-width). */
function ex(parts: [string, string | null][], words?: boolean): Example {
  let text = ''
  const spans: PlainSpan[] = []
  let pos = 0
  for (const [s, type] of parts) {
    const n = Array.from(s).length
    if (type) spans.push({ start: pos, end: pos + n, type })
    text += s
    pos += n
  }
  return words ? { text, spans, words: parts.map(([s]) => Array.from(s).length) } : { text, spans }
}

export const TINY: Example[] = [
  ex([['回力', '品牌'], ['女鞋', '品类'], ['2019春季新款', null], ['３７', '尺码']], true),
  ex([['创维', '品牌'], ['50英寸', '屏尺'], ['智能电视', '品类']]),
  ex([['啄木鸟', '品牌'], ['钥匙包', '品类'], ['男女通用', null], ['黑色', '颜色']], true),
  ex([['新款', null], ['小米', '品牌'], ['手机', '品类'], ['😀', null], ['白色', '颜色']]),
  ex([['ａｒｍ', '品牌'], ['小苏打', '品类'], ['14oz', null]]),
  ex([['韩版', null], ['耐克', '品牌'], ['运动鞋', '品类'], ['４２', '尺码']]),
  ex([['华为', '品牌'], ['平板', '品类'], ['灰色', '颜色'], ['🔥爆款', null]]),
  ex([['李宁', '品牌'], ['卫衣', '品类'], ['红色', '颜色'], ['M', '尺码']]),
]

/** `n` titles taken from TINY in turn, starting at `offset`, as titles to import (doccano labels). */
export function tinyTitles(n: number, offset = 0): TitleSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const e = TINY[(i + offset) % TINY.length]!
    return { text: e.text, label: e.spans.map((s): [number, number, string] => [s.start, s.end, s.type]) }
  })
}
