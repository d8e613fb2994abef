// Small titles with characters outside the BMP and full-width forms: offsets are code points.
import type { TitleSpec } from './project'

/** 😀 is two UTF-16 units but one character; ＡＢＣ１２３ are full-width (one character each). */
export const EMOJI_TITLE = '😀ＡＢＣ１２３品牌手机' // 11 code points, 12 UTF-16 units
export const PHONE_TITLE = '华为 Mate60 Pro 手机 5G 全网通' // spaces are characters too
export const BAG_TITLE = '啄木鸟钥匙包男女通用款头层牛皮'
export const SHOE_TITLE = '李宁跑步鞋男款👟轻便透气'

export const TITLES: TitleSpec[] = [
  {
    text: EMOJI_TITLE,
    label: [
      [7, 9, '品牌'],
      [9, 11, '品类'],
    ],
  },
  {
    text: PHONE_TITLE,
    label: [
      [0, 2, '品牌'],
      [14, 16, '品类'],
    ],
  },
  {
    text: BAG_TITLE,
    label: [
      [0, 3, '品牌'],
      [3, 6, '品类'],
      [13, 15, '材质'],
    ],
  },
  { text: SHOE_TITLE, label: [] },
]
