// Entity types: the list (with span counts), lookups by name and hotkey, and their edits.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { TypeCreate, TypeUpdate } from '../../../src-main/shared/api'
import type { EntityType } from '../../../src-main/shared/types'
import { call } from '../api/client'

export const useTypesStore = defineStore('types', () => {
  const list = ref<EntityType[]>([])
  const byName = computed(() => new Map(list.value.map((t) => [t.name, t])))
  const byHotkey = computed(() => new Map(list.value.filter((t) => t.hotkey).map((t) => [t.hotkey!, t])))
  /** The first keys of two-key hotkeys (chords): pressing one waits for the second. */
  const chordStarts = computed(() => new Set(list.value.flatMap((t) => (t.hotkey && Array.from(t.hotkey).length === 2 ? [Array.from(t.hotkey)[0]!] : []))))

  async function load(): Promise<void> {
    list.value = await call('types.list')
  }
  const color = (name: string): string => byName.value.get(name)?.color ?? '#dddddd'

  async function create(t: TypeCreate): Promise<EntityType> {
    const r = await call('types.create', t)
    await load()
    return r
  }
  async function update(t: TypeUpdate): Promise<EntityType> {
    const r = await call('types.update', t)
    await load()
    return r
  }
  async function merge(from: number, into: number): Promise<number> {
    const r = await call('types.merge', { from, into })
    await load()
    return r.moved
  }
  async function remove(id: number): Promise<number> {
    const r = await call('types.delete', { id })
    await load()
    return r.deletedSpans
  }

  return { list, byName, byHotkey, chordStarts, load, color, create, update, merge, remove }
})
