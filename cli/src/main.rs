//! `apigw-management`: the AWS API Gateway Management API from the command line
//! (`post-to-connection`, `get-connection`, `delete-connection`, as `aws
//! apigatewaymanagementapi` names them), `broadcast`, the local gateway (`local`) and the
//! `demo`.

// Functions fit on a screen (the threshold is in clippy.toml).
#![warn(clippy::too_many_lines)]

mod args;
mod broadcast;
mod data;
mod demo;
mod failure;
mod operations;
mod output;
mod progress;
mod serve;
mod usage;
mod ws_clients;

use args::{Cli, Command};
use clap::Parser;
use clap::error::ErrorKind;
use failure::Failure;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_failure(&e),
    };
    match apigw_management::runtime::block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("{}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let global = cli.global;
    match cli.command {
        Command::PostToConnection(a) => operations::post(&global, a).await,
        Command::GetConnection(a) => operations::get(&global, a).await,
        Command::DeleteConnection(a) => operations::delete(&global, a).await,
        Command::Broadcast(a) => broadcast::run(&global, a).await,
        Command::Local(a) => serve::run(&global, a).await,
        Command::Demo(a) => demo::run(&global, a).await,
        Command::WsClients(a) => ws_clients::run(a).await,
    }
}

/// Help and version go to stdout (exit 0); any other parse error is one line on stderr.
fn parse_failure(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let rendered = e.render().to_string();
            let line = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("{line}");
            ExitCode::from(failure::BAD_INPUT)
        }
    }
}
