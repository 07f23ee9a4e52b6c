// Curve constants for M-Pin as Apache Milagro defines them (incubator-milagro-crypto-c @ 4ede6268,
// src/rom_field_<C>.c and src/rom_curve_<C>.c, recombined to big-endian hex). They are public
// domain parameters, not secrets. test/crypto/mpin/params.test.ts pins every value against
// ../shared/vectors/milagro-curve-params.json and against mcl's own p and r.
//
// Milagro's "BN254" is the Fp254BNb curve that mcl calls BN254. Milagro's "BN254CX" is a
// different curve (different p and r) that mcl does not have; it is deliberately absent here.

/** The curves this package serves: BN254 for interoperability with Milagro, BLS12-381 as the default. */
export type CurveName = 'BN254' | 'BLS12-381'

export const curveNames: readonly CurveName[] = ['BN254', 'BLS12-381']

export interface CurveParams {
  readonly name: CurveName
  /** Milagro's name for the curve (its CTX / file names). */
  readonly milagroName: 'BN254' | 'BLS381'
  readonly family: 'BN' | 'BLS12'
  /** Field modulus p. */
  readonly p: bigint
  /** Group order r. */
  readonly r: bigint
  /** b in y² = x³ + b over Fp. */
  readonly b: number
  /** G1 cofactor Milagro's ECP_mapit multiplies by: 1 on BN curves, (u−1)²/3 on BLS12. */
  readonly g1Cofactor: bigint
  /** Milagro's MODBYTES: bytes per field element and per scalar in every octet encoding. */
  readonly pfs: number
  /** Milagro's G1 generator. */
  readonly g1: { readonly x: bigint, readonly y: bigint }
  /** Milagro's fixed G2 generator Q (x = xa + xb·i, y = ya + yb·i). */
  readonly g2: { readonly xa: bigint, readonly xb: bigint, readonly ya: bigint, readonly yb: bigint }
}

const bn254: CurveParams = {
  name: 'BN254',
  milagroName: 'BN254',
  family: 'BN',
  p: 0x2523648240000001ba344d80000000086121000000000013a700000000000013n,
  r: 0x2523648240000001ba344d8000000007ff9f800000000010a10000000000000dn,
  b: 2,
  g1Cofactor: 1n,
  pfs: 32,
  g1: {
    x: 0x2523648240000001ba344d80000000086121000000000013a700000000000012n,
    y: 1n
  },
  g2: {
    xa: 0x061a10bb519eb62feb8d8c7e8c61edb6a4648bbb4898bf0d91ee4224c803fb2bn,
    xb: 0x0516aaf9ba737833310aa78c5982aa5b1f4d746bae3784b70d8c34c1e7d54cf3n,
    ya: 0x021897a06baf93439a90e096698c822329bd0ae6bdbe09bd19f0e07891cd2b9an,
    yb: 0x0ebb2b0e7c8b15268f6d4456f5f38d37b09006ffd739c9578a2d1aec6b3ace9bn
  }
}

const bls12381: CurveParams = {
  name: 'BLS12-381',
  milagroName: 'BLS381',
  family: 'BLS12',
  p: 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn,
  r: 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n,
  b: 4,
  g1Cofactor: 0x396c8c005555e1568c00aaab0000aaabn,
  pfs: 48,
  g1: {
    x: 0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bbn,
    y: 0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1n
  },
  g2: {
    xa: 0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8n,
    xb: 0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7en,
    ya: 0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801n,
    yb: 0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79ben
  }
}

export const curveParams: Readonly<Record<CurveName, CurveParams>> = {
  BN254: bn254,
  'BLS12-381': bls12381
}

/** PINs are reduced mod MAXPIN and multiplied in as a PBLEN-bit integer (Milagro's mpin.h). */
export const MAXPIN = 10000
export const PBLEN = 14

export function isCurveName (name: unknown): name is CurveName {
  return name === 'BN254' || name === 'BLS12-381'
}
