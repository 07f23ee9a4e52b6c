import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { checkLayout, LAYOUT_VERSION, parseSeqKey, seqKey, sublevels } from '../../storage/layout.ts'
import { createStores, dataPaths } from '../../storage/stores.ts'
import { tempHome } from './fixture.ts'

test('seq keys sort as numbers and parse back', () => {
  const seqs = [0, 1, 9, 10, 99, 100, 123456789, 2 ** 53 - 1]
  const keys = seqs.map(seqKey)
  assert.equal([...keys].sort(), keys)
  assert.equal(keys.map(parseSeqKey), seqs)
})

test('layout: recorded on a new database, accepted again, newer refused without rewriting', async () => {
  const { home, remove } = tempHome()
  try {
    const stores = createStores(dataPaths(home))
    await stores.start()
    const { meta } = sublevels(stores.state)
    await checkLayout(stores.state, meta, { create: true })
    assert.is(dagCbor.decode(await meta.get('layout') as Uint8Array), LAYOUT_VERSION)
    await checkLayout(stores.state, meta, { create: true })
    await meta.put('layout', dagCbor.encode(LAYOUT_VERSION + 1))
    await rejects(checkLayout(stores.state, meta, { create: true }), (e: Error & { found?: unknown, supported?: number }) =>
      e.name === 'LayoutVersionError' && e.found === LAYOUT_VERSION + 1 && e.supported === LAYOUT_VERSION &&
      e.message.includes(`layout version ${LAYOUT_VERSION + 1}`) && e.message.includes(`reads layout ${LAYOUT_VERSION}`))
    assert.is(dagCbor.decode(await meta.get('layout') as Uint8Array), LAYOUT_VERSION + 1, 'left untouched')
    await stores.stop()
  } finally {
    remove()
  }
})

test('layout: data without a recorded version is refused; an empty read-only open records nothing', async () => {
  const { home, remove } = tempHome()
  try {
    const stores = createStores(dataPaths(home))
    await stores.start()
    const { meta, seq } = sublevels(stores.state)
    await checkLayout(stores.state, meta, { create: false })
    assert.is(await meta.get('layout'), undefined)
    await seq.put(seqKey(0), new Uint8Array([1]))
    await rejects(checkLayout(stores.state, meta, { create: true }), (e: Error) => e.name === 'LayoutVersionError' && e.message.includes('(none recorded)'))
    await stores.stop()
  } finally {
    remove()
  }
})

test.run()
