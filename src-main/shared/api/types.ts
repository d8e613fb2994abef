// Entity types. PURE TypeScript.
import type { EntityType } from '../types'
import { none, req } from './contract'

export interface TypeCreate {
  name: string
  color?: string
  hotkey?: string | null
  description?: string
}

export interface TypeUpdate {
  id: number
  name?: string
  color?: string
  hotkey?: string | null
  description?: string
}

export const typesRequests = {
  'types.list': none<EntityType[]>(),
  'types.create': req<TypeCreate, EntityType>(),
  'types.update': req<TypeUpdate, EntityType>(),
  'types.merge': req<{ from: number; into: number }, { moved: number }>(),
  'types.delete': req<{ id: number }, { deletedSpans: number }>(),
}
