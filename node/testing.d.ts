// Types of `apigw-management/testing`.
import type { Client, ClientOptions, CredentialsInput } from './index'

export interface Faults {
  seed?: number
  throttle?: number
  serverError?: number
  dropBefore?: number
  dropAfter?: number
  latencyMs?: number
  latencyJitterMs?: number
  /** Management requests per second the account allows; 429 past it. */
  rateLimit?: number
  /** Requests the rate limit lets through at once (default: one second's worth). */
  burst?: number
}

/** An API Gateway WebSocket proxy event (`$connect`, `$disconnect`, `$default`). */
export interface RouteEvent {
  requestContext: {
    routeKey: string
    eventType: 'CONNECT' | 'DISCONNECT' | 'MESSAGE'
    connectionId: string
    apiId: string
    domainName: string
    stage: string
    requestId: string
    [key: string]: unknown
  }
  headers?: Record<string, string>
  multiValueHeaders?: Record<string, string[]>
  queryStringParameters?: Record<string, string>
  body?: string
  isBase64Encoded?: boolean
  [key: string]: unknown
}

export interface RouteAnswer {
  statusCode?: number
  headers?: Record<string, string>
  body?: string
}

export interface LocalGatewayOptions {
  port?: number
  stage?: string
  verify?: boolean
  credentials?: CredentialsInput
  integrationUrl?: string
  handler?: (event: RouteEvent) => RouteAnswer | void | Promise<RouteAnswer | void>
  faults?: Faults
  idleTimeout?: number
  maxDuration?: number
  clientBufferBytes?: number
  apiId?: string
  /** Template mode: a SAM/CloudFormation WebSocket API (YAML or JSON) run with its handlers. */
  template?: string
  parameterOverrides?: Record<string, string>
  /** A `sam local`-style env-vars JSON file. */
  envVars?: string
  region?: string
}

export interface ConnectOptions {
  query?: string | Record<string, string>
  headers?: Record<string, string>
  userAgent?: string
  timeout?: number
}

export declare class TestClient {
  readonly ws: unknown
  readonly connectionId: string
  readonly messages: Array<string | Buffer>
  readonly closed: Promise<{ code: number; reason: string }>
  nextMessage(options?: { timeout?: number }): Promise<string | Buffer>
  send(text: string): void
  close(code?: number, reason?: string): Promise<{ code: number; reason: string }>
}

export declare class LocalGateway {
  constructor(options?: LocalGatewayOptions)
  start(): Promise<this>
  stop(): Promise<void>
  readonly endpoint: string
  readonly wsUrl: string
  /** Template mode: `wss://127.0.0.1:PORT/{stage}`. */
  readonly wssUrl: string | undefined
  /** Template mode: the generated CA (PEM file) for `wss://` clients. */
  readonly caFile: string | undefined
  readonly port: number
  readonly stage: string
  readonly apiId: string
  readonly region: string
  readonly credentials: { accessKeyId: string; secretAccessKey: string }
  readonly connectionCount: number
  clientOptions(): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }
  client(options?: ClientOptions): Client
  connect(options?: ConnectOptions): Promise<TestClient>
  connectMany(count: number, options?: ConnectOptions & { parallel?: number }): Promise<TestClient[]>
  connections(): Array<{ connectionId: string; connectedAt: Date; lastActiveAt: Date; identity: { sourceIp: string; userAgent: string } }>
  connectionIds(): string[]
  disconnect(connectionId: string): boolean
  setFaults(faults: Faults): void
}

export interface RecordedRequest {
  method: string
  path: string
  connection_id: string | null
  headers: Array<[string, string]>
  body: { utf8: string } | { base64: string }
  signature_error: string | null
  /** When it arrived: milliseconds since the server started. */
  received_ms: number
}

export declare class ScriptServer {
  constructor(script: object | string, credentials?: CredentialsInput)
  readonly endpoint: string
  requests(): RecordedRequest[]
  stop(): void
}
