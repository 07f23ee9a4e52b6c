// M-Pin, the two-factor zero-knowledge authentication protocol of M. Scott, "M-Pin: A
// Multi-Factor Zero Knowledge Authentication Protocol" (CertiVox / MIRACL white paper), exactly as
// Apache Milagro implements it (milagro-crypto-c src/mpin.c.in; milagro-crypto-js src/mpin.js), on
// mcl-wasm pairings over BN254 (= Milagro's BN254) or BLS12-381 (= Milagro's BLS381).
//
// Roles and values (all octets in Milagro's encodings, see codec.ts; A = mapit(H(ID)),
// AT = mapit(mhashit(date, H(ID))), Q = Milagro's G2 generator, s = Σ sᵢ the master secret):
//   D-TA i          serverSecretShare(sᵢ) = sᵢ·Q           clientSecretShare(sᵢ, H(ID)) = sᵢ·A
//                   timePermitShare(sᵢ, date, H(ID)) = sᵢ·AT
//   beneficiary     recombineG1 / recombineG2: the sum of the shares (s·A, s·AT, s·Q)
//   client          extractPin: token = s·A − PIN·A
//                   client1: x random, U = x·A, UT = x·(A + AT), sec = token + PIN'·A (+ s·AT)
//                   client2: V = −(x + y)·sec for the server's challenge y
//   server          serverVerify: accept iff e(V, Q)·e(y·A' + U', s·Q) = 1, with A' = A, U' = U
//                   without time permits, A' = A + AT, U' = UT with them (one 2-pair multi-pairing)
//   one-pass        getY: y = H(time ‖ U') mod r instead of a server challenge
//
// Guarantees: every point and scalar from outside is validated (codec.ts): malformed input raises
// InvalidPointError / InvalidKeyError, a failed check raises BadPinError. No D-TA function needs
// more than its own share. Replay protection (a challenge y is used once) belongs to the caller
// holding the pending challenges. Not guaranteed: constant time. mcl's scalar multiplication
// and JavaScript's handling of byte arrays are not constant-time, and secrets in memory cannot be
// reliably zeroed in JS.
import { InvalidKeyError } from '../errors.ts'
import { decodeG1, decodeG2, decodeScalar, encodeG1, encodeG2, encodeScalar } from './codec.ts'
import { datePoint, identityPoint, mhashit } from './map.ts'
import { BadPinError } from './errors.ts'
import { MAXPIN } from './params.ts'
import type { MpinCurve } from './curves.ts'
import type { Fr, G1, G2, PrecomputedG2 } from 'mcl-wasm'

function checkDate (date: number, allowZero: boolean): void {
  if (!Number.isSafeInteger(date) || date < (allowZero ? 0 : 1) || date > 0xffffffff) {
    throw new RangeError(`date must be an integer day number in [${allowZero ? 0 : 1}, 2^32)`)
  }
}

function pinScalar (curve: MpinCurve, pin: number): Fr {
  if (!Number.isSafeInteger(pin) || pin < 0) throw new RangeError('pin must be a non-negative integer')
  const fr = new curve.mcl.Fr()
  fr.setInt(pin % MAXPIN)
  return fr
}

/** A uniformly random scalar in [1, r−1] (a master-secret share, or the client's x). */
export function randomScalar (curve: MpinCurve): Uint8Array {
  const fr = new curve.mcl.Fr()
  do fr.setByCSPRNG(); while (fr.isZero())
  return encodeScalar(curve, fr)
}

/** D-TA: server-secret share sᵢ·Q in G2 (Milagro's MPIN_GET_SERVER_SECRET). */
export function serverSecretShare (curve: MpinCurve, share: Uint8Array): Uint8Array {
  return encodeG2(curve, curve.mcl.mul(curve.q, decodeScalar(curve, share, 'master-secret share')), 'server secret')
}

/** D-TA: client-secret share sᵢ·A in G1 (Milagro's MPIN_GET_CLIENT_SECRET). */
export function clientSecretShare (curve: MpinCurve, share: Uint8Array, hashedId: Uint8Array): Uint8Array {
  const s = decodeScalar(curve, share, 'master-secret share')
  return encodeG1(curve, curve.mcl.mul(identityPoint(curve, hashedId), s), 'client secret')
}

/** D-TA: time-permit share sᵢ·AT for `date` (days since the epoch, ≥ 1) (MPIN_GET_CLIENT_PERMIT). */
export function timePermitShare (curve: MpinCurve, share: Uint8Array, date: number, hashedId: Uint8Array): Uint8Array {
  checkDate(date, false)
  const s = decodeScalar(curve, share, 'master-secret share')
  return encodeG1(curve, curve.mcl.mul(datePoint(curve, date, hashedId), s), 'time permit')
}

/** Beneficiary: the sum of G1 shares (client secret or time permit) (MPIN_RECOMBINE_G1). */
export function recombineG1 (curve: MpinCurve, shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length === 0) throw new RangeError('recombineG1 needs at least one share')
  let sum: G1 | undefined
  for (const [i, share] of shares.entries()) {
    const point = decodeG1(curve, share, `share ${i}`)
    sum = sum === undefined ? point : curve.mcl.add(sum, point)
  }
  return encodeG1(curve, sum as G1, 'sum of shares')
}

/** Beneficiary: the sum of G2 shares (server secret) (MPIN_RECOMBINE_G2). */
export function recombineG2 (curve: MpinCurve, shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length === 0) throw new RangeError('recombineG2 needs at least one share')
  let sum: G2 | undefined
  for (const [i, share] of shares.entries()) {
    const point = decodeG2(curve, share, `share ${i}`)
    sum = sum === undefined ? point : curve.mcl.add(sum, point)
  }
  return encodeG2(curve, sum as G2, 'sum of shares')
}

/** Client: token = clientSecret − (pin mod 10000)·A (MPIN_EXTRACT_PIN). */
export function extractPin (curve: MpinCurve, clientSecret: Uint8Array, hashedId: Uint8Array, pin: number): Uint8Array {
  const cs = decodeG1(curve, clientSecret, 'client secret')
  const pinA = curve.mcl.mul(identityPoint(curve, hashedId), pinScalar(curve, pin))
  return encodeG1(curve, curve.mcl.sub(cs, pinA), 'token')
}

export interface Client1Input {
  readonly hashedId: Uint8Array
  /** The PIN entered now. */
  readonly pin: number
  readonly token: Uint8Array
  /** Time-permit date (days since the epoch); 0 or absent when time permits are not used. */
  readonly date?: number
  /** The recombined time permit s·AT for `date`; required when date > 0. */
  readonly permit?: Uint8Array
  /** The client's random x; drawn here when absent (given only to reproduce known answers). */
  readonly x?: Uint8Array
}

export interface Client1Output {
  /** The client's secret random x; keep it for client2. */
  readonly x: Uint8Array
  /** U = x·A (Milagro's xID). */
  readonly U: Uint8Array
  /** UT = x·(A + AT) (Milagro's xCID), present only with a time permit. */
  readonly UT?: Uint8Array
  /** sec = token + PIN·A (+ permit); secret, keep it for client2. */
  readonly sec: Uint8Array
}

/** Client pass 1 (MPIN_CLIENT_1): commits to x and rebuilds the secret from token and PIN. */
export function client1 (curve: MpinCurve, input: Client1Input): Client1Output {
  const { mcl } = curve
  const date = input.date ?? 0
  checkDate(date, true)
  const x = input.x === undefined ? decodeScalar(curve, randomScalar(curve)) : decodeScalar(curve, input.x, 'x')
  const A = identityPoint(curve, input.hashedId)
  let sec = mcl.add(decodeG1(curve, input.token, 'token'), mcl.mul(A, pinScalar(curve, input.pin)))
  const U = encodeG1(curve, mcl.mul(A, x), 'U')
  let UT: Uint8Array | undefined
  if (date > 0) {
    if (input.permit === undefined) throw new TypeError('client1: a time permit is required when date > 0')
    sec = mcl.add(sec, decodeG1(curve, input.permit, 'time permit'))
    UT = encodeG1(curve, mcl.mul(mcl.add(A, datePoint(curve, date, input.hashedId)), x), 'UT')
  }
  const out = { x: encodeScalar(curve, x), U, sec: encodeG1(curve, sec, 'sec') }
  return UT === undefined ? out : { ...out, UT }
}

/** Client pass 2 (MPIN_CLIENT_2): V = −(x + y)·sec for the server's challenge y. */
export function client2 (curve: MpinCurve, x: Uint8Array, y: Uint8Array, sec: Uint8Array): Uint8Array {
  const { mcl } = curve
  const xy = mcl.add(decodeScalar(curve, x, 'x'), decodeScalar(curve, y, 'y'))
  return encodeG1(curve, mcl.neg(mcl.mul(decodeG1(curve, sec, 'sec'), xy)), 'V')
}

/** One-pass M-Pin (MPIN_GET_Y): y = mhashit(timeValue, U') mod r, U' = UT with permits, else U. */
export function getY (curve: MpinCurve, timeValue: number, commitment: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(timeValue) || timeValue < 1 || timeValue > 0xffffffff) {
    throw new RangeError('timeValue must be an integer number of seconds in [1, 2^32)')
  }
  const y = new curve.mcl.Fr()
  y.setBigEndianMod(mhashit(curve, timeValue, commitment))
  if (y.isZero()) throw new InvalidKeyError('y: zero')
  return encodeScalar(curve, y)
}

/**
 * A server secret s·Q decoded, checked and precomputed for the Miller loop, so that repeated
 * verifications do not redo the G2 subgroup check and line precomputation. It holds WebAssembly
 * memory: call destroy() when done with it.
 */
export class PreparedServerSecret {
  readonly curve: MpinCurve
  readonly #precomputed: PrecomputedG2
  #destroyed = false

  constructor (curve: MpinCurve, serverSecret: Uint8Array) {
    this.curve = curve
    this.#precomputed = new curve.mcl.PrecomputedG2(decodeG2(curve, serverSecret, 'server secret'))
  }

  get precomputed (): PrecomputedG2 {
    if (this.#destroyed) throw new TypeError('PreparedServerSecret used after destroy()')
    return this.#precomputed
  }

  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#precomputed.destroy()
  }
}

export function prepareServerSecret (curve: MpinCurve, serverSecret: Uint8Array): PreparedServerSecret {
  return new PreparedServerSecret(curve, serverSecret)
}

export interface ServerVerifyInput {
  readonly serverSecret: Uint8Array | PreparedServerSecret
  readonly hashedId: Uint8Array
  /** Time-permit date; 0 or absent when time permits are not used. */
  readonly date?: number
  /** x·A from pass 1; required without time permits. */
  readonly U?: Uint8Array
  /** x·(A + AT) from pass 1; required with time permits. */
  readonly UT?: Uint8Array
  /** The challenge this server issued (or getY's value in one-pass mode). */
  readonly y: Uint8Array
  /** The client's pass-2 answer. */
  readonly V: Uint8Array
}

/** A login's values decoded and checked; base = A' and commitment = U' of the verification equation. */
export interface ParsedLogin {
  readonly base: G1
  readonly commitment: G1
  readonly y: Fr
  readonly V: G1
}

/** MPIN_SERVER_1 plus input validation: the typed error for malformed input, else the parsed login. */
export function parseLogin (curve: MpinCurve, input: Omit<ServerVerifyInput, 'serverSecret'>): ParsedLogin {
  const { mcl } = curve
  const date = input.date ?? 0
  checkDate(date, true)
  let base = identityPoint(curve, input.hashedId)
  let commitment: G1
  if (date > 0) {
    if (input.UT === undefined) throw new TypeError('serverVerify: UT is required when date > 0')
    commitment = decodeG1(curve, input.UT, 'UT')
    base = mcl.add(base, datePoint(curve, date, input.hashedId))
  } else {
    if (input.U === undefined) throw new TypeError('serverVerify: U is required without a time permit')
    commitment = decodeG1(curve, input.U, 'U')
  }
  return { base, commitment, y: decodeScalar(curve, input.y, 'y'), V: decodeG1(curve, input.V, 'V') }
}

/** MPIN_SERVER_2's test: e(V, Q)·e(P, sQ) = 1. */
export function pairingCheck (curve: MpinCurve, secret: PreparedServerSecret, V: G1, P: G1): boolean {
  const { mcl } = curve
  return mcl.finalExp(mcl.precomputedMillerLoop2(V, curve.qPrecomputed, P, secret.precomputed)).isOne()
}

/** Resolves a server secret to a prepared one, and whether the caller must destroy it. */
export function prepared (curve: MpinCurve, serverSecret: Uint8Array | PreparedServerSecret): { secret: PreparedServerSecret, owned: boolean } {
  if (serverSecret instanceof PreparedServerSecret) {
    if (serverSecret.curve !== curve) throw new TypeError('server secret prepared for another curve')
    return { secret: serverSecret, owned: false }
  }
  return { secret: new PreparedServerSecret(curve, serverSecret), owned: true }
}

/**
 * Server verification (MPIN_SERVER_1 + MPIN_SERVER_2): returns when e(V, Q)·e(y·A' + U', s·Q) = 1,
 * throws BadPinError when not, InvalidPointError / InvalidKeyError for malformed input.
 */
export function serverVerify (curve: MpinCurve, input: ServerVerifyInput): void {
  const { mcl } = curve
  const { secret, owned } = prepared(curve, input.serverSecret)
  try {
    const login = parseLogin(curve, input)
    if (!pairingCheck(curve, secret, login.V, mcl.add(mcl.mul(login.base, login.y), login.commitment))) throw new BadPinError()
  } finally {
    if (owned) secret.destroy()
  }
}
