import { describe, expect, it } from 'vitest'
import { SCREENS, screenOfAction, viewAction } from '../../../src-main/shared/screens'

describe('the one list of screens', () => {
  it('names each screen once, fits the View menu’s Ctrl+1…9, and maps its menu action back to it', () => {
    const ids = SCREENS.map((s) => s.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBeLessThanOrEqual(9)
    for (const s of SCREENS) expect(screenOfAction(viewAction(s.id))).toBe(s.id)
    expect(screenOfAction('undo')).toBeNull()
    expect(screenOfAction('view-nothing')).toBeNull()
  })
})
