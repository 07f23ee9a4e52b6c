import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import type { KeyStore } from '../../../crypto/index.ts'
import { mpinInitial } from '../../../protocol/mpin/state.ts'
import { Holder, PrematureAnswerError } from '../../../node/services/mpin-holder.ts'
import { NotYetError } from '../../../node/services/service-base.ts'

const cidOf = async (text: string): Promise<CID> => CID.createV1(0x71, await sha256.digest(new TextEncoder().encode(text)))

test('an answer to a request not recorded yet is a NotYetError about that request (the service parks it), and touches no key store', async () => {
  const request = await cidOf('request')
  const keystore = new Proxy({}, { get: () => { throw new Error('the key store was used') } }) as KeyStore
  const holder = new Holder({ keystore, state: () => mpinInitial, curve: async () => { throw new Error('no curve needed') } })
  const share = {
    type: 'mpin/share' as const,
    request,
    dta: await cidOf('dta'),
    beneficiary: await cidOf('beneficiary'),
    answer: await cidOf('answer'),
    body: { issuance: 'client-secret' as const, curve: 'BN254' as const, share: new Uint8Array(65), master: new Uint8Array(32) }
  }
  await rejects(holder.judgeShare(share), (err: unknown) => {
    assert.instance(err, PrematureAnswerError)
    assert.instance(err, NotYetError)
    assert.is((err as PrematureAnswerError).name, 'PrematureAnswerError')
    assert.is((err as NotYetError).subject, request.toString())
    assert.is((err as PrematureAnswerError).request, request.toString())
    return true
  })
  const refused = { type: 'mpin/refused' as const, request, dta: share.dta, answer: share.answer, body: { error: 'NotEntitledError', message: 'no' } }
  assert.throws(() => holder.judgeRefused(refused), (err: Error) => err instanceof NotYetError && err.name === 'PrematureAnswerError')
})

test.run()
