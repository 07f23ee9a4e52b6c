import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inbox, inboxInitial } from '../../../protocol/state/inbox.ts'
import { chain, deepFreeze } from './entries.ts'

test('inbox: every envelope.received asks for envelope.open of its linked envelope; nothing else does', () => {
  const entries = chain(['envelope.sent', 'envelope.received', 'key.event', 'note', 'envelope.received']).map(deepFreeze)
  let state = deepFreeze(inboxInitial)
  const opened: string[] = []
  for (const e of entries) {
    const r = inbox(state, e)
    if (e.kind !== 'envelope.received') {
      assert.ok(r.state === state, `${e.kind} leaves the state as it is`)
      assert.equal(r.effects, [])
    } else {
      assert.equal(r.effects, [{ type: 'envelope.open', envelope: e.link }])
      opened.push(String(e.link))
    }
    state = deepFreeze(r.state)
  }
  assert.is(state.received, 2)
  assert.equal(opened, [String(entries[1]?.link), String(entries[4]?.link)])
})

test.run()
