import { describe, expect, it } from 'vitest'
import { duration } from '../../../src-main/shared/format'

describe('duration (Runs board time, Train screen ETA)', () => {
  it('reads as seconds, minutes or hours, rounded once so it never shows 60 s', () => {
    expect(duration(42.4)).toBe('42 s')
    expect(duration(59.6)).toBe('1 min 00 s')
    expect(duration(119.6)).toBe('2 min 00 s')
    expect(duration(185)).toBe('3 min 05 s')
    expect(duration(3725)).toBe('1 h 02 min')
    expect(duration(-3)).toBe('0 s')
    expect(duration(null)).toBe('–')
    expect(duration(Infinity)).toBe('–')
  })
})
