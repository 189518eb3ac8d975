//! The command line: global options and one struct per subcommand.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// AWS API Gateway Management API client, local gateway and demo.
#[derive(Debug, Parser)]
#[command(name = "apigw-management", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// The API's endpoint: https://{api}.execute-api.{region}.amazonaws.com/{stage}, a
    /// custom domain with its base path, or http://127.0.0.1:PORT/{stage}. Default:
    /// AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI, then AWS_ENDPOINT_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The signing region (default: from the endpoint's host, AWS_REGION, the profile);
    /// for `local`, the only region the gateway accepts signatures for (default any).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The shared-config profile for credentials and region.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Output format (default json for the API calls, text for the rest).
    #[arg(long, global = true, value_enum)]
    pub output: Option<Output>,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// JSON, as the AWS CLI prints it.
    Json,
    /// Tab-separated text, as the AWS CLI prints it.
    Text,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sends data to a connection (PostToConnection).
    PostToConnection(PostArgs),
    /// Describes a connection (GetConnection).
    GetConnection(IdArgs),
    /// Closes a connection (DeleteConnection).
    DeleteConnection(IdArgs),
    /// Sends the same data to many connections.
    Broadcast(BroadcastArgs),
    /// Serves the local gateway (or a scripted server) until Ctrl-C.
    Local(LocalArgs),
    /// Starts a local gateway, connects many WebSocket clients, broadcasts to them and
    /// prints the numbers.
    Demo(DemoArgs),
    /// The demo's WebSocket clients, run in a process of their own.
    #[command(hide = true)]
    WsClients(WsClientsArgs),
}

/// How `--data` text is read, as in the AWS CLI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum BinaryFormat {
    /// The text is sent as given (the default here).
    #[default]
    RawInBase64Out,
    /// The text is base64 and is decoded before sending (the AWS CLI v2 default).
    Base64,
}

/// `post-to-connection`.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// The connection id (one may start with `-`).
    #[arg(long, allow_hyphen_values = true)]
    pub connection_id: String,
    /// The data: text as given, fileb://PATH (bytes), file://PATH (text), or - (stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub data: String,
    /// How the data's text is read.
    #[arg(long, value_enum, default_value_t)]
    pub cli_binary_format: BinaryFormat,
}

/// `get-connection`, `delete-connection`.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The connection id (one may start with `-`).
    #[arg(long, allow_hyphen_values = true)]
    pub connection_id: String,
}

/// `broadcast`.
#[derive(Debug, Args)]
pub struct BroadcastArgs {
    /// A file of connection ids, one a line (blank lines and # comments skipped); - or
    /// absent: stdin.
    #[arg(long, value_name = "FILE")]
    pub connection_ids: Option<String>,
    /// The data: text as given, fileb://PATH, file://PATH, or - (stdin).
    #[arg(long, allow_hyphen_values = true)]
    pub data: String,
    /// How the data's text is read.
    #[arg(long, value_enum, default_value_t)]
    pub cli_binary_format: BinaryFormat,
    /// Most requests in flight.
    #[arg(long, default_value_t = apigw_management::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Gives up on connections not confirmed after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
}

/// `local`.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The stage, the first segment of both URLs.
    #[arg(long, default_value = apigw_management_local::DEFAULT_STAGE)]
    pub stage: String,
    /// Accepts requests without checking their signature.
    #[arg(long)]
    pub no_verify: bool,
    /// The access key id requests must be signed with (default AWS_ACCESS_KEY_ID, else
    /// AKIDLOCAL).
    #[arg(long, requires = "secret_access_key")]
    pub access_key_id: Option<String>,
    /// The secret requests must be signed with (default AWS_SECRET_ACCESS_KEY, else
    /// local-secret).
    #[arg(long, requires = "access_key_id")]
    pub secret_access_key: Option<String>,
    /// Sends $connect, $disconnect and $default events to this URL (HTTP POST of the
    /// event JSON; the answer's statusCode decides $connect).
    #[arg(long, value_name = "URL")]
    pub integration_url: Option<String>,
    /// Injected faults as JSON, e.g. {"seed":1,"throttle":0.1,"latency_ms":20}, or the
    /// account's rate limit: {"rate_limit":2000,"burst":500}.
    #[arg(long, value_name = "JSON")]
    pub faults: Option<String>,
    /// Closes connections idle for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub idle_timeout: f64,
    /// Closes connections open for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 7200.0)]
    pub max_duration: f64,
    /// Serves a scripted server from a tests/vectors script (or a case holding one)
    /// instead of the gateway; prints the requests it received when stopped.
    #[arg(long, value_name = "FILE.json")]
    pub script: Option<String>,
    /// Runs a SAM/CloudFormation WebSocket API (YAML or JSON): its routes, authorizers
    /// and Node/Python Lambda handlers, with TLS on the same port.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["script", "integration_url", "stage"])]
    pub template: Option<String>,
    /// Template parameters: KEY=VALUE ... (as `sam local`).
    #[arg(long, value_name = "KEY=VALUE", num_args = 1.., requires = "template")]
    pub parameter_overrides: Vec<String>,
    /// Environment variables for the template's functions: a JSON file
    /// {"FunctionId": {"VAR": "value"}, "Parameters": {"VAR": "value"}} (as `sam local`).
    #[arg(long, value_name = "FILE.json", requires = "template")]
    pub env_vars: Option<String>,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// WebSocket clients to connect.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Connections deleted at the end to show they are reported gone.
    #[arg(long, default_value_t = 5)]
    pub delete: usize,
    /// Most requests in flight during the broadcast.
    #[arg(long, default_value_t = apigw_management::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

/// The demo's client process.
#[derive(Debug, Args)]
pub struct WsClientsArgs {
    /// The WebSocket URL.
    #[arg(long)]
    pub url: String,
    /// Clients to connect.
    #[arg(long)]
    pub count: usize,
    /// The message every client waits for.
    #[arg(long)]
    pub expect: String,
}
