//! Reading a SAM/CloudFormation WebSocket API: its API, routes, integrations, route
//! responses, authorizers, stage and Lambda functions, with parameters and intrinsics
//! resolved, into the [`Template`] that template mode runs.

use crate::intrinsics::{ACCOUNT_ID, Scope};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Lambda's default timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Resources that need nothing locally: understood, never listed as "not emulated".
const IMPLIED: [&str; 3] = [
    "AWS::ApiGatewayV2::Deployment",
    "AWS::Lambda::Permission",
    "AWS::Serverless::LayerVersion",
];

/// The language a function runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Runtime {
    /// `nodejs*`: run with `node`.
    Node,
    /// `python*`: run with `python3`.
    Python,
}

/// A Lambda function of the template.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Function {
    /// The logical id (also its `AWS_LAMBDA_FUNCTION_NAME`).
    pub name: String,
    /// Node or Python.
    pub runtime: Runtime,
    /// The code's directory (`CodeUri`, `Code`), absolute.
    pub code_dir: PathBuf,
    /// `module.function` (`app.handler`, `src/app.handler`).
    pub handler: String,
    /// The handler's source file.
    pub handler_file: PathBuf,
    /// `Environment.Variables` (with `Globals` and `--env-vars` applied).
    pub environment: BTreeMap<String, String>,
    /// `Timeout`.
    pub timeout: Duration,
}

/// A `REQUEST` authorizer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Authorizer {
    /// The authorizer's logical id.
    pub name: String,
    /// The function it invokes.
    pub function: String,
    /// `IdentitySource` (`route.request.header.Auth`, `route.request.querystring.token`).
    pub identity_sources: Vec<String>,
}

/// A route of the API.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Route {
    /// `RouteKey`: `$connect`, `$disconnect`, `$default` or a custom key.
    pub key: String,
    /// The function its `AWS_PROXY` integration invokes.
    pub function: String,
    /// Its authorizer (`$connect` only).
    pub authorizer: Option<Authorizer>,
    /// True when the route has a route response: the integration's body goes back to
    /// the client.
    pub responds: bool,
}

/// A WebSocket API read from a template.
///
/// ```
/// use apigw_management_local::Template;
///
/// let text = r#"
/// Resources:
///   Api:
///     Type: AWS::ApiGatewayV2::Api
///     Properties: { ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action }
/// "#;
/// let t = Template::from_str(text, std::path::Path::new("."), &[], None, "us-east-1").unwrap();
/// assert_eq!(t.route_selection, "$request.body.action");
/// assert!(t.routes.is_empty());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Template {
    /// The API's id (10 random characters, what `!Ref Api` resolves to).
    pub api_id: String,
    /// `RouteSelectionExpression`.
    pub route_selection: String,
    /// The stage (`StageName`, default `prod`).
    pub stage: String,
    /// `StageVariables`.
    pub stage_variables: BTreeMap<String, String>,
    /// The routes, by route key.
    pub routes: BTreeMap<String, Route>,
    /// The functions that routes or authorizers invoke, by logical id.
    pub functions: BTreeMap<String, Function>,
    /// The region the template is read for.
    pub region: String,
    /// Resources it does not emulate (`ConnectionsTable (AWS::DynamoDB::Table)`).
    pub not_emulated: Vec<String>,
    /// One line per property it cannot interpret, naming the resource and property.
    pub notes: Vec<String>,
}

impl Template {
    /// Reads the template at `path`; `overrides` are `--parameter-overrides`, `env_vars`
    /// the `--env-vars` JSON (`{"Function": {"VAR": "v"}, "Parameters": {…}}`).
    ///
    /// The error is one line naming the problem.
    pub fn load(
        path: &Path,
        overrides: &[(String, String)],
        env_vars: Option<&Path>,
        region: &str,
    ) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the template {}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let env = match env_vars {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read --env-vars {}: {e}", p.display()))?;
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("--env-vars {} is not JSON: {e}", p.display()))?;
                Some(v)
            }
            None => None,
        };
        Self::from_str(&text, base, overrides, env.as_ref(), region)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a template's text; relative code paths are taken from `base`.
    pub fn from_str(
        text: &str,
        base: &Path,
        overrides: &[(String, String)],
        env_vars: Option<&Value>,
        region: &str,
    ) -> Result<Self, String> {
        let doc = crate::intrinsics::parse(text).map_err(|e| format!("not YAML or JSON: {e}"))?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_object)
            .ok_or("no Resources section")?;
        let api_id = crate::ids::new_api_id();
        let mut scope = Scope::new(region);
        parameters(&doc, overrides, &mut scope)?;
        if let Some(Value::Object(conditions)) = doc.get("Conditions") {
            scope.conditions = conditions.clone();
        }
        names(resources, &api_id, region, &mut scope);
        let mut reader = Reader {
            resources,
            scope,
            globals: doc.pointer("/Globals/Function").cloned(),
            base: base.canonicalize().unwrap_or_else(|_| base.to_path_buf()),
            env_vars,
            notes: Vec::new(),
        };
        let (route_selection, not_emulated) = reader.survey()?;
        let (stage, stage_variables) = reader.stage()?;
        let mut template = Template {
            api_id,
            route_selection,
            stage,
            stage_variables,
            routes: BTreeMap::new(),
            functions: BTreeMap::new(),
            region: region.to_string(),
            not_emulated,
            notes: Vec::new(),
        };
        reader.routes(&mut template)?;
        template.notes = reader.notes;
        Ok(template)
    }
}

/// `Parameters`: defaults, then overrides; a parameter with neither is an error.
fn parameters(
    doc: &Value,
    overrides: &[(String, String)],
    scope: &mut Scope,
) -> Result<(), String> {
    let declared = doc.get("Parameters").and_then(Value::as_object);
    for (name, _) in overrides {
        if !declared.is_some_and(|d| d.contains_key(name)) {
            return Err(format!(
                "--parameter-overrides names {name}, which the template does not declare"
            ));
        }
    }
    for (name, spec) in declared.into_iter().flatten() {
        let given = overrides
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Value::String(v.clone()));
        let value = given
            .or_else(|| spec.get("Default").cloned())
            .ok_or_else(|| {
                format!("parameter {name} has no Default and no --parameter-overrides {name}=VALUE")
            })?;
        let value = match (spec.get("Type").and_then(Value::as_str), value) {
            (Some(t), Value::String(s))
                if t.starts_with("CommaDelimitedList") || t.starts_with("List<") =>
            {
                Value::Array(
                    s.split(',')
                        .map(|p| Value::String(p.trim().into()))
                        .collect(),
                )
            }
            (_, Value::Number(n)) => Value::String(n.to_string()),
            (_, v) => v,
        };
        scope.params.insert(name.clone(), value);
    }
    Ok(())
}

/// What `Ref` and `Fn::GetAtt` give for each resource.
fn names(resources: &Map<String, Value>, api_id: &str, region: &str, scope: &mut Scope) {
    for (id, res) in resources {
        let kind = res.get("Type").and_then(Value::as_str).unwrap_or_default();
        let mut attrs = Vec::new();
        let mut attr = |a: &str, v: String| attrs.push((a.to_string(), v));
        let reference = match kind {
            "AWS::ApiGatewayV2::Api" => {
                attr("ApiId", api_id.to_string());
                attr(
                    "ApiEndpoint",
                    format!("wss://{api_id}.execute-api.{region}.amazonaws.com"),
                );
                api_id.to_string()
            }
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                attr(
                    "Arn",
                    format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{id}"),
                );
                id.clone()
            }
            _ => {
                let physical = ["TableName", "BucketName", "QueueName", "TopicName"]
                    .iter()
                    .find_map(|p| res.pointer(&format!("/Properties/{p}")))
                    .and_then(|v| scope.resolve(v).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| id.clone());
                if kind == "AWS::DynamoDB::Table" {
                    attr(
                        "Arn",
                        format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{physical}"),
                    );
                }
                physical
            }
        };
        for (a, v) in attrs {
            scope.attrs.insert((id.clone(), a), v);
        }
        scope.refs.insert(id.clone(), reference);
    }
}

struct Reader<'a> {
    resources: &'a Map<String, Value>,
    scope: Scope,
    globals: Option<Value>,
    base: PathBuf,
    env_vars: Option<&'a Value>,
    notes: Vec<String>,
}

impl<'a> Reader<'a> {
    fn of_type(&self, kind: &str) -> Vec<(&'a String, &'a Value)> {
        let resources: &'a Map<String, Value> = self.resources;
        resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .collect()
    }

    /// A resource's `Properties`, resolved.
    fn properties(&self, id: &str) -> Result<Value, String> {
        let raw = self
            .resources
            .get(id)
            .and_then(|r| r.get("Properties"))
            .cloned()
            .unwrap_or_default();
        self.scope
            .resolve(&raw)
            .map_err(|e| format!("resource {id}: {e}"))
    }

    /// The WebSocket API's route selection expression, and the resources not emulated.
    fn survey(&mut self) -> Result<(String, Vec<String>), String> {
        let apis = self.of_type("AWS::ApiGatewayV2::Api");
        let mut websocket = Vec::new();
        for (id, _) in &apis {
            let p = self.properties(id)?;
            match p.get("ProtocolType").and_then(Value::as_str) {
                Some("WEBSOCKET") => websocket.push((id.to_string(), p)),
                other => self.notes.push(format!(
                    "resource {id}: ProtocolType {} is not emulated (only WEBSOCKET)",
                    other.unwrap_or("(missing)")
                )),
            }
        }
        let [(id, api)] = websocket.as_slice() else {
            return Err(format!(
                "expected one AWS::ApiGatewayV2::Api with ProtocolType: WEBSOCKET, found {}",
                websocket.len()
            ));
        };
        let selection = api
            .get("RouteSelectionExpression")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("resource {id}: RouteSelectionExpression is missing"))?
            .to_string();
        let emulated = [
            "AWS::ApiGatewayV2::Api",
            "AWS::ApiGatewayV2::Route",
            "AWS::ApiGatewayV2::Integration",
            "AWS::ApiGatewayV2::RouteResponse",
            "AWS::ApiGatewayV2::Authorizer",
            "AWS::ApiGatewayV2::Stage",
            "AWS::Serverless::Function",
            "AWS::Lambda::Function",
        ];
        let not_emulated = self
            .resources
            .iter()
            .filter_map(|(id, r)| {
                let kind = r.get("Type").and_then(Value::as_str).unwrap_or("(no Type)");
                (!emulated.contains(&kind) && !IMPLIED.contains(&kind))
                    .then(|| format!("{id} ({kind})"))
            })
            .collect();
        Ok((selection, not_emulated))
    }

    /// The first `AWS::ApiGatewayV2::Stage`'s name and variables.
    fn stage(&mut self) -> Result<(String, BTreeMap<String, String>), String> {
        let stages = self.of_type("AWS::ApiGatewayV2::Stage");
        let Some((id, _)) = stages.first() else {
            return Ok((crate::gateway::DEFAULT_STAGE.to_string(), BTreeMap::new()));
        };
        let id = id.to_string();
        if stages.len() > 1 {
            self.notes
                .push(format!("{} stages: serving {id} only", stages.len()));
        }
        let p = self.properties(&id)?;
        let name = p
            .get("StageName")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("resource {id}: StageName is missing"))?
            .to_string();
        Ok((name, string_map(p.get("StageVariables"))))
    }

    /// Every route with its integration's function, authorizer and route response.
    fn routes(&mut self, t: &mut Template) -> Result<(), String> {
        let responding: Vec<String> = self
            .of_type("AWS::ApiGatewayV2::RouteResponse")
            .iter()
            .filter_map(|(id, r)| {
                let raw = r.pointer("/Properties/RouteId")?;
                match raw.get("Ref").and_then(Value::as_str) {
                    Some(route) => Some(route.to_string()),
                    None => {
                        self.notes
                            .push(format!("resource {id}: RouteId is not a Ref to a route"));
                        None
                    }
                }
            })
            .collect();
        let ids: Vec<String> = self
            .of_type("AWS::ApiGatewayV2::Route")
            .iter()
            .map(|(id, _)| id.to_string())
            .collect();
        for id in ids {
            let p = self.properties(&id)?;
            let key = p
                .get("RouteKey")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("resource {id}: RouteKey is missing"))?
                .to_string();
            let Some(target) = p.get("Target").and_then(Value::as_str) else {
                self.notes.push(format!(
                    "resource {id}: no Target; route {key} is not served"
                ));
                continue;
            };
            let integration = target.strip_prefix("integrations/").unwrap_or(target);
            let Some(function) = self.integration(&id, integration)? else {
                continue;
            };
            self.function(t, &function)?;
            let authorizer = match p.get("AuthorizationType").and_then(Value::as_str) {
                Some("CUSTOM") => Some(self.authorizer(t, &id, &p)?),
                Some("NONE") | None => None,
                Some(other) => {
                    self.notes.push(format!(
                        "resource {id}: AuthorizationType {other} is not emulated (allowed)"
                    ));
                    None
                }
            };
            let responds = responding.contains(&id);
            t.routes.insert(
                key.clone(),
                Route {
                    key,
                    function,
                    authorizer,
                    responds,
                },
            );
        }
        Ok(())
    }

    /// The function an `AWS_PROXY` integration invokes; `None` (with a note) otherwise.
    fn integration(&mut self, route: &str, id: &str) -> Result<Option<String>, String> {
        let kind = self
            .resources
            .get(id)
            .and_then(|r| r.get("Type"))
            .and_then(Value::as_str);
        if kind != Some("AWS::ApiGatewayV2::Integration") {
            return Err(format!(
                "resource {route}: Target names {id}, which is not an AWS::ApiGatewayV2::Integration"
            ));
        }
        let p = self.properties(id)?;
        let itype = p
            .get("IntegrationType")
            .and_then(Value::as_str)
            .unwrap_or("(missing)");
        if itype != "AWS_PROXY" {
            self.notes.push(format!(
                "resource {id}: IntegrationType {itype} is not emulated (only AWS_PROXY)"
            ));
            return Ok(None);
        }
        let uri = p
            .get("IntegrationUri")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.function_in(uri).map(Some).ok_or_else(|| {
            format!("resource {id}: IntegrationUri {uri:?} names no function of the template")
        })
    }

    /// The function whose ARN (or name) an integration or authorizer URI holds.
    fn function_in(&self, uri: &str) -> Option<String> {
        let mut ids: Vec<&String> = self
            .resources
            .iter()
            .filter(|(_, r)| {
                matches!(
                    r.get("Type").and_then(Value::as_str),
                    Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
                )
            })
            .map(|(id, _)| id)
            .collect();
        // The longest name first: `Fn10` before `Fn1`.
        ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
        ids.into_iter()
            .find(|id| {
                let arn = format!(":function:{id}");
                uri.ends_with(&arn)
                    || uri.contains(&format!("{arn}/"))
                    || uri.contains(&format!("{arn}:"))
                    || uri == id.as_str()
            })
            .cloned()
    }

    fn authorizer(
        &mut self,
        t: &mut Template,
        route: &str,
        p: &Value,
    ) -> Result<Authorizer, String> {
        let id = p
            .get("AuthorizerId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("resource {route}: AuthorizationType CUSTOM without AuthorizerId")
            })?
            .to_string();
        let a = self.properties(&id)?;
        if a.get("AuthorizerType").and_then(Value::as_str) != Some("REQUEST") {
            return Err(format!("resource {id}: AuthorizerType must be REQUEST"));
        }
        let uri = a
            .get("AuthorizerUri")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let function = self.function_in(uri).ok_or_else(|| {
            format!("resource {id}: AuthorizerUri {uri:?} names no function of the template")
        })?;
        self.function(t, &function)?;
        let identity_sources = match a.get("IdentitySource") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
            _ => Vec::new(),
        };
        Ok(Authorizer {
            name: id,
            function,
            identity_sources,
        })
    }

    /// Reads a function (once) into `t.functions`.
    fn function(&mut self, t: &mut Template, id: &str) -> Result<(), String> {
        if t.functions.contains_key(id) {
            return Ok(());
        }
        let serverless = self
            .resources
            .get(id)
            .and_then(|r| r.get("Type"))
            .and_then(Value::as_str)
            == Some("AWS::Serverless::Function");
        let mut p = self.properties(id)?;
        if serverless && let Some(g) = &self.globals {
            let g = self
                .scope
                .resolve(g)
                .map_err(|e| format!("Globals.Function: {e}"))?;
            p = merge(&g, &p);
        }
        let field = |name: &str| p.get(name).and_then(Value::as_str).map(str::to_string);
        let runtime_name =
            field("Runtime").ok_or_else(|| format!("function {id}: Runtime is missing"))?;
        let runtime = if runtime_name.starts_with("nodejs") {
            Runtime::Node
        } else if runtime_name.starts_with("python") {
            Runtime::Python
        } else {
            return Err(format!(
                "function {id}: Runtime {runtime_name} is not supported (nodejs*, python*)"
            ));
        };
        let handler =
            field("Handler").ok_or_else(|| format!("function {id}: Handler is missing"))?;
        let code = if serverless {
            p.get("CodeUri")
        } else {
            p.get("Code")
        };
        let code_dir = match code {
            Some(Value::String(dir)) => self.base.join(dir),
            None if serverless => self.base.clone(),
            _ => {
                return Err(format!(
                    "function {id}: {} must be a local directory",
                    if serverless { "CodeUri" } else { "Code" }
                ));
            }
        };
        let handler_file = handler_file(runtime, &code_dir, &handler)
            .map_err(|e| format!("function {id}: {e}"))?;
        let mut environment = string_map(p.pointer("/Environment/Variables"));
        for section in ["Parameters", id] {
            for (k, v) in string_map(self.env_vars.and_then(|e| e.get(section))) {
                environment.insert(k, v);
            }
        }
        let timeout = match p.get("Timeout") {
            None => DEFAULT_TIMEOUT,
            Some(v) => v
                .as_f64()
                .or_else(|| v.as_str()?.parse().ok())
                .filter(|s| *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| format!("function {id}: Timeout {v} is not a number of seconds"))?,
        };
        for unsupported in ["Layers", "ImageUri", "VpcConfig"] {
            if p.get(unsupported).is_some() {
                self.notes
                    .push(format!("function {id}: {unsupported} is not emulated"));
            }
        }
        let f = Function {
            name: id.to_string(),
            runtime,
            code_dir,
            handler,
            handler_file,
            environment,
            timeout,
        };
        t.functions.insert(id.to_string(), f);
        Ok(())
    }
}

/// The source file of `module.function` in `dir`.
fn handler_file(runtime: Runtime, dir: &Path, handler: &str) -> Result<PathBuf, String> {
    let (module, _) = handler
        .rsplit_once('.')
        .ok_or_else(|| format!("Handler {handler:?} is not module.function"))?;
    let candidates: Vec<PathBuf> = match runtime {
        Runtime::Node => ["js", "mjs", "cjs"]
            .iter()
            .map(|e| dir.join(format!("{module}.{e}")))
            .collect(),
        Runtime::Python => {
            let path = module.replace('.', "/");
            vec![
                dir.join(format!("{path}.py")),
                dir.join(path).join("__init__.py"),
            ]
        }
    };
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .ok_or_else(|| format!("handler file {} not found", candidates[0].display()))
}

/// `{"K": "v", "N": 1}` → strings (numbers and booleans written out).
fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((k.clone(), s))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `Globals` under a function's own properties (maps merge, the function's values win).
fn merge(globals: &Value, own: &Value) -> Value {
    match (globals, own) {
        (Value::Object(g), Value::Object(o)) => {
            let mut out = g.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(gv) => merge(gv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, own) => own.clone(),
    }
}
