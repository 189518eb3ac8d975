// The Node runtime of template mode's workers: loads one Lambda handler (CommonJS or
// ES module, async or callback style) and runs the events the gateway writes on stdin,
// one JSON line each, answering one JSON line each on stdout. The handler's own output
// goes to stderr, which the gateway prints prefixed with the function's name.
import tls from 'node:tls';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const protocol = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const send = (message) => protocol(JSON.stringify(message) + '\n');

// The API's own host name (https://{apiId}.execute-api.{region}.amazonaws.com) reaches
// the gateway: port 443 of those names is the gateway's port on 127.0.0.1.
const [gatewayHost, gatewayPort] = process.env.APIGW_LOCAL_GATEWAY.split(':');
const apiHosts = new Set((process.env.APIGW_LOCAL_API_HOSTS || '').split(',').filter(Boolean));
const connect = tls.connect;
tls.connect = function (...args) {
  const options = args[0];
  if (options && typeof options === 'object' && apiHosts.has(options.host)
      && (options.port === undefined || Number(options.port) === 443)) {
    args[0] = { ...options, host: gatewayHost, port: Number(gatewayPort), servername: options.servername || options.host };
  }
  return connect.apply(this, args);
};

const [file, exportName] = process.argv.slice(2);
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

function errorOf(e) {
  if (e instanceof Error) return { errorType: e.name || 'Error', errorMessage: e.message };
  return { errorType: 'Error', errorMessage: typeof e === 'string' ? e : JSON.stringify(e) };
}

let handler;
try {
  const mod = await import(pathToFileURL(file).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function ${exportName}`);
} catch (e) {
  send({ initError: errorOf(e) });
  process.exit(1);
}
send({ ready: true });

function context(request) {
  return {
    awsRequestId: request.requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: request.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
  };
}

function invoke(event, ctx) {
  return new Promise((resolve, reject) => {
    const done = (err, value) => (err ? reject(err) : resolve(value));
    Object.assign(ctx, { done, succeed: (v) => resolve(v), fail: (e) => reject(e) });
    const result = handler.length >= 3 ? handler(event, ctx, done) : handler(event, ctx);
    if (result && typeof result.then === 'function') result.then(resolve, reject);
    else if (handler.length < 3) resolve(result);
  });
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  try {
    const result = await invoke(request.event, context(request));
    send({ result: result === undefined ? null : result });
  } catch (e) {
    send({ error: errorOf(e) });
  }
}
