import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { countOrders, emptyOrders, entriesOf, getOrder, setOrder, type OrderMap } from '../../../protocol/custody/index.ts'
import { deepFreeze } from '../state/entries.ts'
import { cidOf } from './orders.ts'

test('set/get/entries/count over many ids; updates never touch the previous map; DAG-CBOR round trip', () => {
  const ids = Array.from({ length: 3000 }, (_, i) => cidOf({ i }).toString())
  let m: OrderMap<{ n: number }> = deepFreeze(emptyOrders())
  const snapshots: Array<OrderMap<{ n: number }>> = []
  ids.forEach((id, n) => {
    m = deepFreeze(setOrder(m, id, { n }))
    if (n % 1000 === 0) snapshots.push(m)
  })
  assert.is(countOrders(m), 3000)
  assert.equal(getOrder(m, ids[1234] as string), { n: 1234 })
  assert.is(getOrder(m, 'bafynope'), undefined)
  assert.equal(new Set([...entriesOf(m)].map(([id]) => id)), new Set(ids))
  assert.is(countOrders(snapshots[0] as OrderMap<{ n: number }>), 1, 'earlier maps are unchanged')
  const replaced = setOrder(m, ids[0] as string, { n: -1 })
  assert.equal([getOrder(replaced, ids[0] as string), getOrder(m, ids[0] as string)], [{ n: -1 }, { n: 0 }])
  assert.is(countOrders(replaced), 3000)
  assert.equal(dagCbor.decode(dagCbor.encode(m)), m)
})

test('an update copies a bounded part of the map: far faster than a flat copy at 20,000 orders', () => {
  let m: OrderMap<number> = emptyOrders()
  const ids = Array.from({ length: 20_000 }, (_, i) => cidOf({ big: i }).toString())
  for (const id of ids) m = setOrder(m, id, 1)
  let flat: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 1]))
  const t0 = performance.now()
  for (let i = 0; i < 100; i++) m = setOrder(m, ids[i] as string, 2)
  const bucketed = performance.now() - t0
  const t1 = performance.now()
  for (let i = 0; i < 100; i++) flat = { ...flat, [ids[i] as string]: 2 }
  const copied = performance.now() - t1
  assert.ok(bucketed * 10 < copied, `bucketed ${bucketed.toFixed(1)} ms vs flat ${copied.toFixed(1)} ms for 100 updates`)
})

test.run()
