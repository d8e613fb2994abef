// The desktop shell's security decisions (Electron itself cannot run here; index.ts wires these in),
// and the packaging step that burns the fuses, run on a file carrying a real fuse wire layout.
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { getCurrentFuseWire, FuseV1Options } from '@electron/fuses'
import { describe, expect, it } from 'vitest'
import {
  APP_URL,
  appFile,
  devToolsAllowed,
  externalAllowed,
  FUSES,
  navigationAllowed,
  permissionAllowed,
  trustedSender,
} from '../../../src-main/electron/security'
import { applyFuses } from '../../../src-main/electron/fuses'
import { tmpDir } from '../../helpers/tmp'

describe('Electron security decisions', () => {
  it('denies every permission request', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem', 'unknown-new-one']) {
      expect(permissionAllowed(p), p).toBe(false)
    }
  })

  it('maps app://studio/ URLs into the renderer folder and nowhere else', () => {
    const dir = resolve('/opt/ner/renderer')
    expect(appFile(APP_URL, dir)).toBe(join(dir, 'index.html'))
    expect(appFile('app://studio/', dir)).toBe(join(dir, 'index.html'))
    expect(appFile('app://studio/assets/index-1.js?x=1#h', dir)).toBe(join(dir, 'assets', 'index-1.js'))
    for (const bad of [
      'app://studio/../../etc/passwd',
      'app://studio/..%2f..%2fetc%2fpasswd',
      'app://studio/%2e%2e/%2e%2e/etc/hostname',
      'app://studio/%E0%A4%A',
      'app://studio/a%00b',
      'app://other/index.html',
      'file:///opt/ner/renderer/index.html',
      'https://studio/index.html',
      'not a url',
    ]) {
      // Dot segments stay inside the folder (…/renderer/etc/passwd, which does not exist: 404 there).
      const f = appFile(bad, dir)
      expect(f === null || f.startsWith(dir + '/'), bad).toBe(true)
    }
    expect(appFile('app://other/index.html', dir)).toBeNull()
    expect(appFile('file:///opt/ner/renderer/index.html', dir)).toBeNull()
    expect(appFile('app://studio/%E0%A4%A', dir)).toBeNull()
    expect(appFile('app://studio/a%00b', dir)).toBeNull()
  })

  it('trusts only our own top frame: app://studio, or the loopback dev server when not packaged', () => {
    const main = (url: string): { url: string; isMainFrame: boolean } => ({ url, isMainFrame: true })
    expect(trustedSender(main('app://studio/index.html'), undefined, true)).toBe(true)
    expect(trustedSender({ url: 'app://studio/index.html', isMainFrame: false }, undefined, true)).toBe(false)
    expect(trustedSender(null, undefined, true)).toBe(false)
    // The old check accepted any file:// frame.
    expect(trustedSender(main('file:///tmp/evil.html'), undefined, false)).toBe(false)
    expect(trustedSender(main('file:///opt/ner/renderer/index.html'), undefined, true)).toBe(false)
    expect(trustedSender(main('app://studio.evil/index.html'), undefined, true)).toBe(false)
    expect(trustedSender(main('https://studio/index.html'), undefined, true)).toBe(false)
    const dev = 'http://localhost:5173'
    expect(trustedSender(main('http://localhost:5173/index.html'), dev, false)).toBe(true)
    expect(trustedSender(main('http://localhost:5173/index.html'), dev, true)).toBe(false) // packaged: never
    // A prefix match would have let these through.
    expect(trustedSender(main('http://localhost:51730/'), dev, false)).toBe(false)
    expect(trustedSender(main('http://localhost:5173.evil.example/'), dev, false)).toBe(false)
    // A dev URL that is not loopback is not trusted.
    expect(trustedSender(main('http://evil.example:5173/'), 'http://evil.example:5173', false)).toBe(false)
    expect(navigationAllowed('https://example.com/', undefined, true)).toBe(false)
    expect(navigationAllowed(APP_URL, undefined, true)).toBe(true)
  })

  it('opens only https links to allow-listed hosts in the system browser', () => {
    expect(externalAllowed('https://github.com/some/repo')).toBe(true)
    expect(externalAllowed('https://huggingface.co/bert-base-chinese')).toBe(true)
    for (const bad of [
      'http://github.com/',
      'https://evil.example/',
      'https://github.com.evil.example/',
      'https://user:pw@github.com/',
      'file:///etc/passwd',
      'smb://host/share',
      'javascript:alert(1)',
      'ms-msdt:/id',
      'not a url',
    ]) {
      expect(externalAllowed(bad), bad).toBe(false)
    }
  })

  it('allows DevTools only outside packaged builds', () => {
    expect(devToolsAllowed(true)).toBe(false)
    expect(devToolsAllowed(false)).toBe(true)
  })
})

describe('package:fuses', () => {
  it('burns every fuse of FUSES into the binary, and refuses a file without a fuse wire', async () => {
    const dir = tmpDir()
    const bin = join(dir, 'electron')
    // An Electron binary's fuse wire: sentinel, version 1, length, then one byte per fuse ('0'/'1').
    const wire = Buffer.from('11111111', 'latin1')
    writeFileSync(bin, Buffer.concat([Buffer.from('\x7fELF padding…'), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, wire.length]), wire, Buffer.from('tail')]))
    await applyFuses(bin)
    const now = await getCurrentFuseWire(bin)
    for (const [name, on] of Object.entries(FUSES)) {
      const state = now[FuseV1Options[name as keyof typeof FuseV1Options]]
      expect(state, name).toBe(on ? 49 : 48) // FuseState.ENABLE / DISABLE
    }
    expect(readFileSync(bin).subarray(-4).toString()).toBe('tail')
    const plain = join(dir, 'not-electron')
    writeFileSync(plain, 'no wire here')
    await expect(applyFuses(plain)).rejects.toThrow(/sentinel/)
  })
})
