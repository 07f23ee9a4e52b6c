// Public surface of crypto/mpin/: M-Pin (M. Scott's protocol, Milagro-compatible) on mcl-wasm.
export { loadCurve } from './curves.ts'
export type { MpinCurve } from './curves.ts'
export { curveNames, curveParams, isCurveName, MAXPIN, PBLEN } from './params.ts'
export type { CurveName, CurveParams } from './params.ts'
export { assertG1, assertG2, g1Length, g2Length } from './codec.ts'
export { hashId, mhashit } from './map.ts'
export {
  client1, client2, clientSecretShare, extractPin, getY, prepareServerSecret, PreparedServerSecret,
  randomScalar, recombineG1, recombineG2, serverSecretShare, serverVerify, timePermitShare
} from './mpin.ts'
export type { Client1Input, Client1Output, ServerVerifyInput } from './mpin.ts'
export { serverVerifyBatch } from './batch.ts'
export type { BatchVerifyInput, BatchVerifyResult } from './batch.ts'
export { BadPinError } from './errors.ts'
