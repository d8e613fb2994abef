import { initBackend, type BackendName } from '../../src-main/ml/backend'

/** Tests run on wasm unless NER_STUDIO_TEST_BACKEND says otherwise. */
export async function testBackend(): Promise<string> {
  const want = (process.env.NER_STUDIO_TEST_BACKEND as BackendName | undefined) ?? 'wasm'
  const r = await initBackend(want)
  return r.name
}
