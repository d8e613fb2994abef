// Synthetic product titles for the kill test and the store benchmark: ~50 characters, mostly
// Chinese, 3 non-overlapping spans each, a few dozen entity types. Deterministic (seeded).
import { closeSync, openSync, writeSync } from 'node:fs'
import { makeRng } from '../../src-main/ml/train/rng'

export const SYNTHETIC_TYPES = [
  '品牌',
  '品类',
  '颜色',
  '材质',
  '型号',
  '款式',
  '规格',
  '功能',
  '风格',
  '适用人群',
  '适用季节',
  '产地',
  '口味',
  '尺码',
  '容量',
  '重量',
  '系列',
  '图案',
  '工艺',
  '场景',
  '包装',
  '版本',
  '年份',
  '成分',
  '功效',
  '品种',
  '等级',
  '领型',
  '袖长',
  '裤长',
  '鞋跟',
  '屏幕',
  '内存',
  '接口',
  '电压',
  '配件',
]

const COMMON =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞'

export interface SyntheticTitle {
  text: string
  label: [number, number, string][]
}

/** An endless, deterministic stream of titles. */
export function* syntheticTitles(seed = 1): Generator<SyntheticTitle> {
  const rnd = makeRng(seed)
  const pick = (s: string): string => s[Math.floor(rnd() * s.length)]!
  for (let n = 0; ; n++) {
    const len = 40 + Math.floor(rnd() * 21) // 40…60, mean 50
    const cs: string[] = []
    for (let i = 0; i < len; i++) {
      const r = rnd()
      cs.push(
        r < 0.85
          ? pick(COMMON)
          : r < 0.93
            ? pick('abcdefghijklmnopqrstuvwxyz')
            : r < 0.98
              ? pick('0123456789')
              : ' ',
      )
    }
    // Three spans in three thirds of the title: never overlapping.
    const third = Math.floor(len / 3)
    const label: [number, number, string][] = []
    for (let k = 0; k < 3; k++) {
      const w = 2 + Math.floor(rnd() * 3)
      const start = k * third + Math.floor(rnd() * (third - w))
      // Skewed type frequencies, like real data: 品牌 and 品类 most common.
      const ti = Math.min(SYNTHETIC_TYPES.length - 1, Math.floor(SYNTHETIC_TYPES.length * rnd() * rnd()))
      label.push([start, start + w, SYNTHETIC_TYPES[ti]!])
    }
    yield { text: cs.join(''), label }
  }
}

/** Write `count` synthetic titles as doccano JSONL; returns the byte size. */
export function writeSyntheticJsonl(path: string, count: number, seed = 1): number {
  const fd = openSync(path, 'w')
  let bytes = 0
  try {
    const gen = syntheticTitles(seed)
    let buf: string[] = []
    for (let i = 0; i < count; i++) {
      buf.push(JSON.stringify(gen.next().value))
      if (buf.length === 10_000 || i === count - 1) {
        bytes += writeSync(fd, buf.join('\n') + '\n')
        buf = []
      }
    }
  } finally {
    closeSync(fd)
  }
  return bytes
}
