// Wiring of the node's services: what `milagro start` (and tests, simulations) pass to createNode
// so that a node runs the custody flow and the M-Pin D-TA — the reducers its log folds, the key
// store, the custody service, the M-Pin service (on the node's crypto pool), and the REST API on
// top of them. Started in that order once the node runs, stopped in reverse before it stops
// (NodeOptions.services).
import { CID } from 'multiformats/cid'
import type { KeyStore } from '../../crypto/index.ts'
import { fullNodeMachine } from '../../protocol/index.ts'
import type { Effect, StateMachine } from '../../protocol/state/effects.ts'
import { componentLogger, type Logger } from '../logger.ts'
import type { LoadedHome } from '../home.ts'
import type { MilagroNode, NodeService } from '../node.ts'
import { CustodyService, type CustodyInit } from './custody.ts'
import { custodyPort } from './custody-port.ts'
import { keyStoreFor } from './keystore.ts'
import { countingKeyStore } from '../metrics.ts'
import { MpinService, type MpinInit } from './mpin.ts'
import { ApiServer, type ApiInit } from '../api/server.ts'
import { mpinRoutes } from '../api/mpin-routes.ts'
import { safeguardRoutes } from '../api/safeguard-routes.ts'
import { Backups } from './backup.ts'
import { BackupReplication, type ReplicationInit } from './backup-replication.ts'
import { SafeguardService, type SafeguardInit } from './safeguard.ts'
import { ThresholdService, type ThresholdInit } from './threshold.ts'
import { thresholdPort } from './threshold-port.ts'
import { thresholdRoutes } from '../api/threshold-routes.ts'
import { isThresholdMessageType } from '../../protocol/threshold/types.ts'
import { UnclaimedEnvelopes } from './unclaimed.ts'
import { isCustodyMessageType } from '../../protocol/custody/index.ts'
import { isMpinMessageType } from '../../protocol/mpin/types.ts'
import { isSafeguardMessageType } from '../../protocol/safeguard/types.ts'

export interface ServicesInit {
  readonly custody?: CustodyInit
  /** M-Pin D-TA settings; false: no M-Pin service (default: on when config.services has 'mpin'). */
  readonly mpin?: MpinInit | false
  /** Safeguard settings; false: no safeguard service (default: on when config.services has 'safeguard'). */
  readonly safeguard?: SafeguardInit | false
  /** Threshold custody settings; false: no threshold service (default: on when config.services has 'threshold'). */
  readonly threshold?: ThresholdInit | false
  /** REST API settings (default: config.api host and port); false: no API. */
  readonly api?: Partial<ApiInit> | false
  /** Log replication for backups (default: config.backup); false: none. */
  readonly replication?: ReplicationInit | false
  /** The home's key store (default: a new one); the custody service starts it if needed and stops it. */
  readonly keystore?: KeyStore
}

/** The running services of one node, filled in as they start. */
export interface Services {
  custody: CustodyService | undefined
  mpin: MpinService | undefined
  safeguard: SafeguardService | undefined
  threshold: ThresholdService | undefined
  backups: Backups | undefined
  keystore: KeyStore | undefined
  api: ApiServer | undefined
  replication: BackupReplication | undefined
}

export interface ServiceOptions {
  readonly machine: StateMachine<unknown, Effect>
  readonly services: ReadonlyArray<(node: MilagroNode) => NodeService>
}

/** NodeOptions (machine, services) for a node of `home`, and a handle on its services. */
export function nodeServices (home: LoadedHome, logger: Logger, init: ServicesInit = {}): { options: ServiceOptions, services: Services } {
  const services: Services = { custody: undefined, mpin: undefined, safeguard: undefined, threshold: undefined, backups: undefined, keystore: undefined, api: undefined, replication: undefined }
  const factories: Array<(node: MilagroNode) => NodeService> = [
    (node) => {
      const keystore = countingKeyStore(init.keystore ?? keyStoreFor(home, componentLogger(logger, 'keystore')), node.metrics.keystoreOperations)
      const custody = new CustodyService({ node: custodyPort(node), keystore, logger: componentLogger(logger, 'custody') }, {
        roles: home.config.roles,
        network: home.config.custody.network,
        ...(home.config.custody.defaultFiduciary !== undefined ? { defaultFiduciary: CID.parse(home.config.custody.defaultFiduciary) } : {}),
        ...init.custody
      })
      services.keystore = keystore
      services.custody = custody
      return custody
    }
  ]
  if (init.mpin !== false && home.config.services.includes('mpin')) {
    const mpin = init.mpin
    factories.push((node) => {
      const keystore = services.keystore
      if (keystore === undefined) throw new Error('the M-Pin service needs the key store of the custody service')
      const service = new MpinService({ node: custodyPort(node), keystore, pool: node.parts.pool, logger: componentLogger(logger, 'mpin') }, {
        roles: home.config.roles,
        principals: home.config.mpin.principals.map((c) => CID.parse(c)),
        authServers: home.config.mpin.authServers.map((c) => CID.parse(c)),
        permitWindow: home.config.mpin.permitWindow,
        timePermits: home.config.mpin.timePermits,
        ...mpin
      })
      services.mpin = service
      return service
    })
  }
  if (init.safeguard !== false && home.config.services.includes('safeguard')) {
    const safeguard = init.safeguard
    factories.push((node) => {
      const keystore = services.keystore
      if (keystore === undefined) throw new Error('the safeguard service needs the key store of the custody service')
      const service = new SafeguardService({ node: custodyPort(node), keystore, logger: componentLogger(logger, 'safeguard') }, { roles: home.config.roles, ...safeguard })
      services.safeguard = service
      services.backups = new Backups({ home, keystore, safeguard: service, logger: componentLogger(logger, 'backup') })
      return service
    })
  }
  if (init.replication !== false) {
    const replication = init.replication
    factories.push((node) => {
      const service = new BackupReplication({ node, safeguard: () => services.safeguard?.state, backups: () => services.backups, logger: componentLogger(logger, 'replication') }, {
        replicas: home.config.backup.replicas.map((c) => CID.parse(c)),
        replicate: home.config.backup.replicate.map((c) => CID.parse(c)),
        quotaBytes: home.config.backup.quotaBytes,
        ...replication
      })
      services.replication = service
      return service
    })
  }
  const withThreshold = init.threshold !== false && home.config.services.includes('threshold')
  if (withThreshold) {
    const threshold = init.threshold
    factories.push((node) => {
      const keystore = services.keystore
      if (keystore === undefined) throw new Error('the threshold service needs the key store of the custody service')
      const service = new ThresholdService({ node: thresholdPort(node), keystore, logger: componentLogger(logger, 'threshold') }, { roles: home.config.roles, network: home.config.custody.network, ...threshold })
      services.threshold = service
      return service
    })
  }
  // Received envelopes of a type none of the services above handles are marked done (unclaimed.ts):
  // a service added above must add its predicate here.
  const claims = [
    isCustodyMessageType,
    ...(init.mpin !== false && home.config.services.includes('mpin') ? [isMpinMessageType] : []),
    ...(init.safeguard !== false && home.config.services.includes('safeguard') ? [isSafeguardMessageType] : []),
    ...(withThreshold ? [isThresholdMessageType] : [])
  ]
  factories.push((node) => {
    const port = custodyPort(node)
    return new UnclaimedEnvelopes({ log: port.log, readEnvelope: port.readEnvelope, logger: componentLogger(logger, 'unclaimed') }, { claims })
  })
  if (init.api !== false) {
    const api = init.api
    factories.push((node) => {
      const server = new ApiServer({ node, custody: () => services.custody, routes: [...mpinRoutes(() => services.mpin), ...safeguardRoutes(() => services.safeguard, () => services.backups), ...thresholdRoutes(() => services.threshold)], logger: componentLogger(logger, 'api') }, {
        host: api?.host ?? home.config.api.host,
        port: api?.port ?? home.config.api.port,
        tokenPath: api?.tokenPath ?? home.paths.apiTokenPath
      })
      services.api = server
      return server
    })
  }
  return { options: { machine: fullNodeMachine(), services: factories }, services }
}
