// Fuzzing log entries (storage/entry.ts `decodeEntry`): blocks come back from disk and, through
// Helia, from other peers; a block that is not an entry must be refused as MalformedEntryError —
// which recovery and audit turn into a named problem — never an error from inside the codec.
// Arbitrary bytes, edits of valid entries (signed and unsigned, body and link), and valid entries
// with a field replaced, removed or added; with and without the CID the block is expected to have.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../crypto/index.ts'
import { cidOfBlock, decodeEntry, encodeEntry } from '../../storage/entry.ts'
import { cidArb, fc, fieldEditArb, mutationsOf, property, tryEncode, typed, type Family } from './fuzz.ts'

const ENTRY_ERRORS: ReadonlySet<string> = new Set(['MalformedEntryError'])

const link = (s: string): CID => CID.createV1(dagCbor.code, Digest.create(0x12, sha256(new TextEncoder().encode(s))))
const author = link('author')
const entries = [
  encodeEntry({ v: 1, seq: 0, prev: null, clock: 1, time: 1_700_000_000_000, kind: 'key.event', body: { type: 'generated', handle: 'h1' }, author }),
  encodeEntry({ v: 1, seq: 7, prev: link('prev'), clock: 9, time: 1_700_000_000_001, kind: 'envelope.received', link: link('envelope'), author }, new Uint8Array(64).fill(7)),
  encodeEntry({ v: 1, seq: 12, prev: link('prev2'), clock: 13, time: 1_700_000_000_002, kind: 'checkpoint', body: { state: link('state'), version: 3 }, author }),
  encodeEntry({ v: 1, seq: 3, prev: link('prev3'), clock: 4, time: 1_700_000_000_003, kind: 'custody.order', body: { order: link('o'), n: [1, 2, 3] }, author })
]
const KEYS = ['v', 'seq', 'prev', 'clock', 'time', 'kind', 'body', 'link', 'author', 'sig']

export const properties: Family = [
  property('decodeEntry: arbitrary bytes are refused with MalformedEntryError', 400, fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.boolean()), ([b, withCid]) => {
    typed(ENTRY_ERRORS, () => decodeEntry(b, withCid ? cidOfBlock(b) : undefined))
  }),
  property('decodeEntry: edited bytes of valid entries are refused with MalformedEntryError (or are that entry)', 400, fc.constantFrom(...entries).chain((e) => fc.tuple(fc.constant(e), mutationsOf(e.bytes), fc.boolean())), ([e, b, expected]) => {
    const r = typed(ENTRY_ERRORS, () => decodeEntry(b, expected ? e.cid : undefined))
    if (!(r instanceof Error) && !r.cid.equals(e.cid)) {
      if (expected) throw new Error('an edited block was accepted under the original CID')
    }
  }),
  property('decodeEntry: a field replaced, removed or added is refused with MalformedEntryError (or is a valid entry)', 400, fc.tuple(fc.constantFrom(...entries), fc.array(fieldEditArb(KEYS), { minLength: 1, maxLength: 3 }), fc.option(cidArb)), ([e, edits, expected]) => {
    let m = dagCbor.decode<Record<string, unknown>>(e.bytes)
    for (const edit of edits) m = edit(m)
    const bytes = tryEncode(m)
    if (bytes === undefined) return
    typed(ENTRY_ERRORS, () => decodeEntry(bytes, expected ?? undefined))
  })
]
