// Wiring of the node's services: what `milagro start` (and tests, simulations) pass to createNode
// so that a node runs the custody flow — the reducers its log folds, the key store, the custody
// service, and the REST API on top of it. Started in that order once the node runs, stopped in
// reverse before it stops (NodeOptions.services).
import type { KeyStore } from '../../crypto/index.ts'
import { nodeMachine } from '../../protocol/state/machine.ts'
import type { Effect, StateMachine } from '../../protocol/state/effects.ts'
import { componentLogger, type Logger } from '../logger.ts'
import type { LoadedHome } from '../home.ts'
import type { MilagroNode, NodeService } from '../node.ts'
import { CustodyService, type CustodyInit } from './custody.ts'
import { custodyPort } from './custody-port.ts'
import { keyStoreFor } from './keystore.ts'
import { ApiServer, type ApiInit } from '../api/server.ts'

export interface ServicesInit {
  readonly custody?: CustodyInit
  /** REST API settings (default: config.api host and port); false: no API. */
  readonly api?: Partial<ApiInit> | false
}

/** The running services of one node, filled in as they start. */
export interface Services {
  custody: CustodyService | undefined
  keystore: KeyStore | undefined
  api: ApiServer | undefined
}

export interface ServiceOptions {
  readonly machine: StateMachine<unknown, Effect>
  readonly services: ReadonlyArray<(node: MilagroNode) => NodeService>
}

/** NodeOptions (machine, services) for a node of `home`, and a handle on its services. */
export function nodeServices (home: LoadedHome, logger: Logger, init: ServicesInit = {}): { options: ServiceOptions, services: Services } {
  const services: Services = { custody: undefined, keystore: undefined, api: undefined }
  const factories: Array<(node: MilagroNode) => NodeService> = [
    (node) => {
      const keystore = keyStoreFor(home, componentLogger(logger, 'keystore'))
      const custody = new CustodyService({ node: custodyPort(node), keystore, logger: componentLogger(logger, 'custody') }, { roles: home.config.roles, ...init.custody })
      services.keystore = keystore
      services.custody = custody
      return custody
    }
  ]
  if (init.api !== false) {
    const api = init.api
    factories.push((node) => {
      const server = new ApiServer({ node, custody: () => services.custody, logger: componentLogger(logger, 'api') }, {
        host: api?.host ?? home.config.api.host,
        port: api?.port ?? home.config.api.port,
        tokenPath: api?.tokenPath ?? home.paths.apiTokenPath
      })
      services.api = server
      return server
    })
  }
  return { options: { machine: nodeMachine() as StateMachine<unknown, Effect>, services: factories }, services }
}
