//! `post-to-connection`, `get-connection`, `delete-connection`.

use crate::args::{Global, IdArgs, Output, PostArgs};
use crate::failure::Failure;
use crate::{data, output};
use apigw_management::Client;

/// The core client for the global options.
pub fn client(global: &Global) -> Result<Client, Failure> {
    let mut builder = Client::builder();
    if let Some(url) = &global.endpoint_url {
        builder = builder.endpoint(url);
    }
    if let Some(region) = &global.region {
        builder = builder.region(region);
    }
    if let Some(profile) = &global.profile {
        builder = builder.profile(profile);
    }
    builder.build().map_err(Failure::from)
}

/// `post-to-connection`: prints nothing on success, as the AWS CLI.
pub async fn post(global: &Global, args: PostArgs) -> Result<(), Failure> {
    let body = data::read(&args.data, args.cli_binary_format)?;
    let client = client(global)?;
    client
        .post_to_connection(&args.connection_id, body)
        .await
        .map(drop)
        .map_err(|e| Failure::call("PostToConnection", &e))
}

/// `get-connection`.
pub async fn get(global: &Global, args: IdArgs) -> Result<(), Failure> {
    let client = client(global)?;
    let conn = client
        .get_connection(&args.connection_id)
        .await
        .map_err(|e| Failure::call("GetConnection", &e))?;
    output::print(
        &output::connection(&conn),
        global.output.unwrap_or(Output::Json),
    );
    Ok(())
}

/// `delete-connection`: prints nothing on success, as the AWS CLI.
pub async fn delete(global: &Global, args: IdArgs) -> Result<(), Failure> {
    let client = client(global)?;
    client
        .delete_connection(&args.connection_id)
        .await
        .map(drop)
        .map_err(|e| Failure::call("DeleteConnection", &e))
}
