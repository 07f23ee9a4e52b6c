import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CUSTODY_FACTS, CUSTODY_MESSAGE_TYPES, factKindOf, isCustodyMessageType } from '../../../protocol/custody/index.ts'
import { LOG_KIND_PATTERN } from '../../../protocol/state/types.ts'

test('each message type has its fact kind (custody/x → custody.x), and every kind is a valid log kind', () => {
  assert.equal(CUSTODY_MESSAGE_TYPES.map(factKindOf), Object.values(CUSTODY_FACTS).filter((k) => k !== 'custody.share' && k !== 'custody.rejected'))
  for (const kind of Object.values(CUSTODY_FACTS)) assert.ok(LOG_KIND_PATTERN.test(kind), kind)
  assert.ok(isCustodyMessageType('custody/release'))
  assert.not.ok(isCustodyMessageType('custody/share'))
  assert.not.ok(isCustodyMessageType('custody.release'))
})

test.run()
