// Types of `apigw-management/v2`: the shape of `AWS.ApiGatewayManagementApi` (aws-sdk v2).
import type { ApiGatewayManagementError } from './index'
export { ApiGatewayManagementError, GoneException } from './index'

export interface AWSError extends Error {
  code: string
  message: string
  statusCode?: number
  requestId?: string
  retryable?: boolean
  retryDelay?: number
  time: Date
  region?: string
  hostname?: string
}

export declare class Endpoint {
  constructor(endpoint: string)
  href: string
  protocol: string
  host: string
  hostname: string
  port: number
  path: string
}

export declare class Credentials {
  constructor(accessKeyId: string, secretAccessKey: string, sessionToken?: string)
  constructor(options: { accessKeyId: string; secretAccessKey: string; sessionToken?: string })
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  getPromise(): Promise<void>
}

export interface ClientConfiguration {
  endpoint?: string | Endpoint
  region?: string
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
  credentials?: Credentials | { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | { getPromise(): Promise<void>; accessKeyId?: string; secretAccessKey?: string; sessionToken?: string } | null
  maxRetries?: number
  retryDelayOptions?: { base?: number; customBackoff?: (retryCount: number, err?: Error) => number }
  httpOptions?: { proxy?: string; connectTimeout?: number; timeout?: number; agent?: unknown }
  paramValidation?: boolean | object
  correctClockSkew?: boolean
  systemClockOffset?: number
  logger?: { log?: (...messages: unknown[]) => void; write?: (chunk: string) => void } | null
  params?: { ConnectionId?: string; Data?: unknown; [key: string]: unknown }
  apiVersion?: string
  apiVersions?: Record<string, string>
  signatureVersion?: string
  [option: string]: unknown
}

export declare class Config implements ClientConfiguration {
  constructor(options?: ClientConfiguration)
  update(options: ClientConfiguration, allowUnknownKeys?: boolean): void;
  [option: string]: unknown
}

export declare const config: Config

export interface Response<D> {
  data: D | null
  error: AWSError | null
  retryCount: number
  requestId?: string
  httpResponse: { statusCode?: number; headers: Record<string, string> }
}

export declare class Request<D> {
  promise(): Promise<D>
  send(callback?: (this: Response<D>, err: AWSError | null, data: D | null) => void): this
  on(event: 'success' | 'complete', listener: (response: Response<D>) => void): this
  on(event: 'error', listener: (err: AWSError, response: Response<D>) => void): this
  abort(): this
  readonly httpRequest: { method: string; path: string; endpoint: Endpoint }
}

export interface PostToConnectionRequest {
  ConnectionId?: string
  Data?: string | Uint8Array | ArrayBufferView | ArrayBuffer
}
export interface GetConnectionRequest {
  ConnectionId?: string
}
export interface DeleteConnectionRequest {
  ConnectionId?: string
}
export interface GetConnectionResponse {
  ConnectedAt?: Date
  Identity?: { SourceIp: string; UserAgent: string }
  LastActiveAt?: Date
}
type Callback<D> = (this: Response<D>, err: AWSError | null, data: D) => void

export declare class ApiGatewayManagementApi {
  constructor(options?: ClientConfiguration)
  readonly config: Config
  readonly endpoint: Endpoint
  postToConnection(params?: PostToConnectionRequest, callback?: Callback<{}>): Request<{}>
  getConnection(params?: GetConnectionRequest, callback?: Callback<GetConnectionResponse>): Request<GetConnectionResponse>
  deleteConnection(params?: DeleteConnectionRequest, callback?: Callback<{}>): Request<{}>
  makeRequest(operation: 'postToConnection' | 'getConnection' | 'deleteConnection', params?: object, callback?: Callback<any>): Request<any>
}

export type ApiGatewayManagementApiError = ApiGatewayManagementError & AWSError
