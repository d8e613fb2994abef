// The studio's screens, in order: ONE list feeding the header's tabs, the desktop View menu
// (Ctrl+1…9 in this order), its `view-<id>` menu actions and the renderer's view type.

export const SCREENS = [
  { id: 'project', tab: 'Project', menu: 'Project', group: 'data' },
  { id: 'annotate', tab: 'Annotate', menu: 'Annotate', group: 'data' },
  { id: 'types', tab: 'Entity types', menu: 'Entity Types', group: 'data' },
  { id: 'weak', tab: 'Weak labels', menu: 'Weak Labels', group: 'data' },
  { id: 'train', tab: 'Train', menu: 'Train', group: 'model' },
  { id: 'runs', tab: 'Runs', menu: 'Runs', group: 'model' },
  { id: 'evaluate', tab: 'Evaluate', menu: 'Evaluate', group: 'model' },
  { id: 'preannotate', tab: 'Pre-annotate', menu: 'Pre-annotate', group: 'model' },
  { id: 'export', tab: 'Export', menu: 'Export', group: 'model' },
] as const

export type Screen = (typeof SCREENS)[number]['id']
/** The desktop menu's action that shows a screen. */
export type ViewAction = `view-${Screen}`

export const viewAction = (s: Screen): ViewAction => `view-${s}`

/** The screen a `view-…` menu action shows, or null for any other action. */
export function screenOfAction(action: string): Screen | null {
  const s = SCREENS.find((x) => `view-${x.id}` === action)
  return s ? s.id : null
}
