// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js'

export const {
  Client,
  ApiGatewayManagementError,
  ServiceError,
  GoneException,
  ForbiddenException,
  LimitExceededException,
  PayloadTooLargeException,
  TransportError,
  CredentialsError,
  ConfigError,
  InvalidInputError,
  DEFAULT_MAX_PAYLOAD_BYTES,
} = cjs
export default cjs
