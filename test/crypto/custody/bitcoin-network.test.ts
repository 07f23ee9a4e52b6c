// crypto/custody/bitcoin-network.ts: network parameters equal Bitcoin Core's chainparams as
// carried by @scure/btc-signer (NETWORK, TEST_NETWORK); regtest differs only in its HRP 'bcrt'.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NETWORK, TEST_NETWORK } from '@scure/btc-signer'
import { bitcoinNetworkParams, BITCOIN_NETWORKS, type BitcoinNetwork } from '../../../crypto/custody/bitcoin-network.ts'

test('parameters per network', () => {
  const asScure = (n: BitcoinNetwork): object => { const p = bitcoinNetworkParams(n); return { bech32: p.hrp, pubKeyHash: p.pubKeyHash, scriptHash: p.scriptHash, wif: p.wif } }
  assert.equal(asScure('mainnet'), NETWORK)
  assert.equal(asScure('testnet'), TEST_NETWORK)
  assert.equal(asScure('signet'), TEST_NETWORK)
  assert.equal(asScure('regtest'), { ...TEST_NETWORK, bech32: 'bcrt' })
  assert.equal([...BITCOIN_NETWORKS], ['mainnet', 'testnet', 'signet', 'regtest'])
  assert.throws(() => bitcoinNetworkParams('testnet3' as BitcoinNetwork), (e: Error) => e instanceof TypeError)
})

test.run()
