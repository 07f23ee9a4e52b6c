// The node's blockstore: blockstore-level's LevelBlockstore (the one Helia is given), with
// `putMany` as one LevelDB batch and `getMany` as one LevelDB multi-get.
//
// LevelBlockstore stores a block under `/` + base32upper(multihash) (its default `base`), so the
// codec of a CID does not matter and a block put here is read by any LevelBlockstore on the same
// directory, and the other way round (test/storage/blockstore.test.ts checks both directions).
// The upstream `putMany` writes one block per LevelDB write; a group commit of the log wants all
// its blocks in one atomic write, optionally fsynced, and replay wants a batch of blocks in one
// call. No private block format: the bytes stored are the block bytes, nothing else.
import { LevelBlockstore } from 'blockstore-level'
import type { AbortOptions } from 'abort-error'
import type { InputPair, Pair } from 'interface-blockstore'
import { Level } from 'level'
import { base32upper } from 'multiformats/bases/base32'
import type { CID } from 'multiformats/cid'

export interface Block {
  readonly cid: CID
  readonly bytes: Uint8Array
}

export interface PutBlocksOptions extends AbortOptions {
  /** fsync the batch (LevelDB `sync: true`): survives power loss, not only a process crash. */
  readonly sync?: boolean
}

export function blockKey (cid: CID): string {
  return '/' + base32upper.encoder.encode(cid.multihash.bytes)
}

async function collect (bytes: InputPair['bytes']): Promise<Uint8Array> {
  if (bytes instanceof Uint8Array) return bytes
  const parts: Uint8Array[] = []
  let length = 0
  for await (const p of bytes) { parts.push(p); length += p.length }
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

export class LogBlockstore extends LevelBlockstore {
  readonly level: Level<string, Uint8Array>

  /** `level` must be opened by the caller with utf8 keys and view values (see stores.ts). */
  constructor (level: Level<string, Uint8Array>) {
    super(level, { base: base32upper })
    this.level = level
  }

  /** Writes every block in one LevelDB batch: all of them are stored, or none. */
  async putBlocks (blocks: readonly Block[], options?: PutBlocksOptions): Promise<void> {
    options?.signal?.throwIfAborted()
    if (blocks.length === 0) return
    await this.level.batch(blocks.map((b) => ({ type: 'put' as const, key: blockKey(b.cid), value: b.bytes })), { sync: options?.sync === true })
  }

  /** The blocks' bytes in order, `undefined` where a block is absent. One LevelDB multi-get. */
  async getBlocks (cids: readonly CID[], options?: AbortOptions): Promise<Array<Uint8Array | undefined>> {
    options?.signal?.throwIfAborted()
    return this.level.getMany(cids.map(blockKey))
  }

  override async * putMany (source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions): AsyncGenerator<CID> {
    const blocks: Block[] = []
    for await (const { cid, bytes } of source) blocks.push({ cid, bytes: await collect(bytes) })
    await this.putBlocks(blocks, options)
    for (const b of blocks) yield b.cid
  }

  override async * getMany (source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    const cids: CID[] = []
    for await (const cid of source) cids.push(cid)
    for (let i = 0; i < cids.length; i += 256) {
      const chunk = cids.slice(i, i + 256)
      const found = await this.getBlocks(chunk, options)
      for (let j = 0; j < chunk.length; j++) {
        const cid = chunk[j] as CID
        const bytes = found[j]
        // Missing blocks fail like LevelBlockstore.get does: when the pair's bytes are read.
        yield { cid, bytes: bytes === undefined ? this.get(cid, options) : (function * () { yield bytes })() }
      }
    }
  }
}
