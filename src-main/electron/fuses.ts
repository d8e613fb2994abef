// Packaging step: burn the fuses of src-main/electron/security.ts (FUSES) into an Electron binary.
// Run on the packaged app's binary (or the .app on macOS): `npm run package:fuses -- <path>`.
import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses'
import { FUSES } from './security'

/** The @electron/fuses configuration for FUSES; every fuse is set (a new, unknown one fails). */
export function fuseConfig(): FuseV1Config {
  const config: Record<number, boolean> = {}
  for (const [name, on] of Object.entries(FUSES)) {
    const index = FuseV1Options[name as keyof typeof FuseV1Options]
    if (index === undefined) throw new Error(`unknown Electron fuse "${name}"`)
    config[index] = on
  }
  return { version: FuseVersion.V1, strictlyRequireAllFuses: true, ...config } as FuseV1Config
}

export async function applyFuses(electronBinary: string): Promise<void> {
  await flipFuses(electronBinary, fuseConfig())
}

if (require.main === module) {
  const target = process.argv[2]
  if (!target) {
    console.error('usage: npm run package:fuses -- <path to the packaged Electron binary or .app>')
    process.exit(2)
  }
  applyFuses(target).then(
    () => console.log(`fuses set in ${target}`),
    (e: unknown) => {
      console.error(`${target}: ${e instanceof Error ? e.message : String(e)}`)
      process.exit(1)
    },
  )
}
