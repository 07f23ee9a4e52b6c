// Test helper: Apache Milagro's own JavaScript implementation (milagro-crypto-js 3.3, a dev
// dependency without type declarations), for differential and interoperability tests. It has
// BN254 (our BN254) but no BLS381, which the published vectors pin instead.
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'

const require = createRequire(import.meta.url)

/** The parts of a milagro-crypto-js context these tests use (its API works on number[] octets). */
export interface MilagroRng {
  clean: () => void
  seed: (n: number, raw: number[]) => void
}

export interface MilagroMpin {
  EFS: number
  EGS: number
  HASH_TYPE: number
  BAD_PIN: number
  INVALID_POINT: number
  HASH_ID: (sha: number, id: number[]) => number[]
  hashit: (sha: number, n: number, data: number[]) => number[]
  RANDOM_GENERATE: (rng: MilagroRng, s: number[]) => number
  GET_SERVER_SECRET: (s: number[], sst: number[]) => number
  GET_CLIENT_SECRET: (s: number[], hcid: number[], cst: number[]) => number
  GET_CLIENT_PERMIT: (sha: number, date: number, s: number[], hcid: number[], ctt: number[]) => number
  RECOMBINE_G1: (a: number[], b: number[], out: number[]) => number
  RECOMBINE_G2: (a: number[], b: number[], out: number[]) => number
  EXTRACT_PIN: (sha: number, cid: number[], pin: number, token: number[]) => number
  CLIENT_1: (sha: number, date: number, id: number[], rng: MilagroRng | null, x: number[], pin: number,
    token: number[], sec: number[], xID: number[] | null, xCID: number[] | null, permit: number[] | null) => number
  CLIENT_2: (x: number[], y: number[], sec: number[]) => number
  SERVER_1: (sha: number, date: number, id: number[], hid: number[], htid: number[]) => void
  SERVER_2: (date: number, hid: number[] | null, htid: number[] | null, y: number[], sst: number[],
    xID: number[] | null, xCID: number[] | null, mSEC: number[], E: null, F: null) => number
  GET_Y: (sha: number, timeValue: number, xCID: number[], y: number[]) => number
}

export interface MilagroEcp {
  mapit: (h: number[]) => { toBytes: (b: number[]) => void }
}

export interface MilagroCtx {
  MPIN: MilagroMpin
  ECP: MilagroEcp
  RAND: new () => MilagroRng
}

type CtxConstructor = new (curve: string) => MilagroCtx
const CTX = require('milagro-crypto-js') as CtxConstructor

export function milagro (curve: 'BN254'): MilagroCtx {
  return new CTX(curve)
}

/** A milagro RAND seeded from node:crypto. */
export function milagroRng (ctx: MilagroCtx): MilagroRng {
  const rng = new ctx.RAND()
  rng.clean()
  rng.seed(32, [...randomBytes(32)])
  return rng
}

export const toArray = (b: Uint8Array): number[] => [...b]
export const fromArray = (a: number[]): Uint8Array => Uint8Array.from(a)
