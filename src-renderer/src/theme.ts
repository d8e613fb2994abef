// Light or dark: the system's preference (prefers-color-scheme, followed while it changes) until
// the header's toggle picks one, which is remembered in localStorage. style.css colours by role
// under <html data-theme>.
import { ref } from 'vue'

export type Theme = 'light' | 'dark'
const KEY = 'ner-studio.theme'
const system = window.matchMedia('(prefers-color-scheme: dark)')
export const theme = ref<Theme>('light')

function chosen(): Theme | null {
  const t = window.localStorage.getItem(KEY)
  return t === 'light' || t === 'dark' ? t : null
}

function apply(t: Theme): void {
  theme.value = t
  document.documentElement.dataset.theme = t
}

export function initTheme(): void {
  apply(chosen() ?? (system.matches ? 'dark' : 'light'))
  system.addEventListener('change', (e) => {
    if (!chosen()) apply(e.matches ? 'dark' : 'light')
  })
}

export function toggleTheme(): void {
  const t: Theme = theme.value === 'dark' ? 'light' : 'dark'
  window.localStorage.setItem(KEY, t)
  apply(t)
}
