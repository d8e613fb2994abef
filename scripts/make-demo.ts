// Generates the demo project's data, resources/demo/{train,dev,test}.jsonl: synthetic Chinese
// product titles made from small word lists (no third-party data). Train titles carry *weak*
// labels — some spans deliberately missing or mistyped, as distant supervision gives them — while
// dev and test are clean gold. Deterministic: `npm run make-demo` always writes the same files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const BRANDS = ['回力', '李宁', '安踏', '南极人', '海尔', '美的', '小米', '华为', '创维', '格力', '百雀羚', '三只松鼠', '良品铺子', '花花公子', '啄木鸟', '飞利浦', '苏泊尔', '九阳', 'zippo', 'nike']
const CATEGORIES: [string, string[]][] = [
  ['帆布鞋', ['37', '38', '39', '40', '41', '42']],
  ['运动鞋', ['39', '40', '41', '42', '43']],
  ['羽绒服', ['s', 'm', 'l', 'xl', 'xxl']],
  ['t恤', ['m', 'l', 'xl', '2xl']],
  ['连衣裙', ['s', 'm', 'l']],
  ['智能电视', ['50英寸', '55英寸', '65英寸']],
  ['电饭煲', ['3l', '4l', '5l']],
  ['手机壳', ['6.1英寸', '6.7英寸']],
  ['钱包', []],
  ['保温杯', ['500ml', '350ml']],
  ['坚果礼盒', ['1kg', '1.5kg']],
  ['打火机', []],
]
const COLORS = ['黑色', '白色', '红色', '藏青色', '卡其色', '浅灰色', '玫瑰金', '天蓝色']
const MATERIALS = ['纯棉', '真皮', '头层牛皮', '不锈钢', '帆布', '羊毛']
const STYLES = ['韩版', '简约', '复古', '休闲', '商务']
const PEOPLE = ['男士', '女士', '儿童', '情侣', '学生']
const SEASONS = ['春季', '夏季', '秋冬', '四季']
const FILLERS = ['2024新款', '正品', '官方旗舰店', '包邮', '热卖', '限时特惠', '🔥爆款', 'ＶＩＰ专享', '新品', '']

let seed = 20240917
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x80000000
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
const maybe = (p: number): boolean => rand() < p

interface Piece {
  text: string
  type?: string
}

function title(): Piece[] {
  const [cat, sizes] = pick(CATEGORIES)
  const parts: Piece[] = [{ text: pick(BRANDS), type: '品牌' }]
  if (maybe(0.5)) parts.push({ text: pick(FILLERS) })
  if (maybe(0.5)) parts.push({ text: pick(PEOPLE), type: '适用人群' })
  if (maybe(0.4)) parts.push({ text: pick(SEASONS), type: '适用季节' })
  if (maybe(0.4)) parts.push({ text: pick(STYLES), type: '风格' })
  if (maybe(0.4)) parts.push({ text: pick(MATERIALS), type: '材质' })
  parts.push({ text: cat, type: '品类' })
  if (maybe(0.3)) parts.push({ text: ' ' })
  if (maybe(0.6)) parts.push({ text: pick(COLORS), type: '颜色' })
  if (sizes.length && maybe(0.7)) {
    parts.push({ text: ' ' })
    parts.push({ text: pick(sizes), type: '尺码' })
  }
  if (maybe(0.3)) parts.push({ text: ` ${pick(FILLERS)}` })
  return parts.filter((p) => p.text !== '')
}

function toRecord(parts: Piece[], weak: boolean): { text: string; label: [number, number, string][] } {
  const label: [number, number, string][] = []
  let at = 0
  let text = ''
  for (const p of parts) {
    const n = Array.from(p.text).length
    if (p.type) {
      // Weak supervision: ~12% of spans missing, ~5% with the wrong type.
      const dropped = weak && maybe(0.12)
      const type = weak && maybe(0.05) ? pick(['品牌', '品类', '颜色', '风格']) : p.type
      if (!dropped) label.push([at, at + n, type])
    }
    at += n
    text += p.text
  }
  return { text, label }
}

const out = join(__dirname, '..', 'resources', 'demo')
mkdirSync(out, { recursive: true })
for (const [name, n, weak] of [['train', 600, true], ['dev', 120, false], ['test', 120, false]] as const) {
  const lines: string[] = []
  for (let i = 0; i < n; i++) lines.push(JSON.stringify(toRecord(title(), weak)))
  writeFileSync(join(out, `${name}.jsonl`), lines.join('\n') + '\n')
}
console.log(`wrote ${out}/{train,dev,test}.jsonl`)
