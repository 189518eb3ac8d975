// Types of `apigw-management/v3`: the shapes of @aws-sdk/client-apigatewaymanagementapi.
import type { ApiGatewayManagementError, ServiceError, MetadataBearer } from './index'
export {
  GoneException,
  ForbiddenException,
  LimitExceededException,
  PayloadTooLargeException,
  TransportError,
  ApiGatewayManagementError,
} from './index'

export interface AwsCredentialIdentity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}
type Provider<T> = () => Promise<T>

export interface ApiGatewayManagementApiClientConfig {
  endpoint?: string | URL | { protocol?: string; hostname: string; port?: number; path?: string } | { url: URL | string } | Provider<string>
  region?: string | Provider<string>
  credentials?: AwsCredentialIdentity | Provider<AwsCredentialIdentity>
  maxAttempts?: number | Provider<number>
  requestHandler?: { requestTimeout?: number; connectionTimeout?: number } | object
  maxPayloadBytes?: number
  retryAmbiguous?: boolean
  [option: string]: unknown
}

export type { MetadataBearer }
export interface PostToConnectionCommandInput {
  ConnectionId: string | undefined
  Data: Uint8Array | string | ArrayBuffer | ArrayBufferView | undefined
}
export interface PostToConnectionCommandOutput extends MetadataBearer {}
export interface GetConnectionCommandInput {
  ConnectionId: string | undefined
}
export interface GetConnectionCommandOutput extends MetadataBearer {
  ConnectedAt?: Date
  Identity?: { SourceIp: string | undefined; UserAgent: string | undefined }
  LastActiveAt?: Date
}
export interface DeleteConnectionCommandInput {
  ConnectionId: string | undefined
}
export interface DeleteConnectionCommandOutput extends MetadataBearer {}

declare class Command<I, O> {
  constructor(input: I)
  readonly input: I
  /** Type marker only. */
  protected readonly __output?: O
}
export declare class PostToConnectionCommand extends Command<PostToConnectionCommandInput, PostToConnectionCommandOutput> {}
export declare class GetConnectionCommand extends Command<GetConnectionCommandInput, GetConnectionCommandOutput> {}
export declare class DeleteConnectionCommand extends Command<DeleteConnectionCommandInput, DeleteConnectionCommandOutput> {}

export interface SendOptions {
  abortSignal?: AbortSignal
}
type Callback<O> = (err: ApiGatewayManagementError | Error | null, data?: O) => void

export declare class ApiGatewayManagementApiClient {
  constructor(config?: ApiGatewayManagementApiClientConfig)
  readonly config: ApiGatewayManagementApiClientConfig
  send<I, O>(command: Command<I, O>, options?: SendOptions): Promise<O>
  send<I, O>(command: Command<I, O>, callback: Callback<O>): void
  send<I, O>(command: Command<I, O>, options: SendOptions, callback: Callback<O>): void
  destroy(): void
}

export declare class ApiGatewayManagementApi extends ApiGatewayManagementApiClient {
  postToConnection(args: PostToConnectionCommandInput, options?: SendOptions): Promise<PostToConnectionCommandOutput>
  getConnection(args: GetConnectionCommandInput, options?: SendOptions): Promise<GetConnectionCommandOutput>
  deleteConnection(args: DeleteConnectionCommandInput, options?: SendOptions): Promise<DeleteConnectionCommandOutput>
}

export declare const ApiGatewayManagementApiServiceException: typeof ServiceError
export type ApiGatewayManagementApiServiceException = ServiceError
