import {
  type Bus,
  bridgeRequests,
  describeZodError,
  type Logger,
  MAX_PAYLOAD_BYTES,
  type PluginRequestOp,
  pluginRequests,
  type ResponseEnvelope,
  topics,
} from '@wattbus/shared';
import type { z } from 'zod';
import type { BridgeHandlers } from '../registry/bridge-operations.js';
import type { Origin } from '../registry/context.js';
import { pluginOperations } from '../registry/plugin-operations.js';
import type { RegistryCore } from '../registry/registry-core.js';
import { RequestFailure } from '../store/group-commit.js';

/** Validates a request body (the envelope without `transaction`) against an operation's schema. */
export function parseRequest<Schema extends z.ZodType>(
  schema: Schema,
  body: Record<string, unknown>,
): z.output<Schema> {
  const { transaction: _transaction, ...fields } = body;
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new RequestFailure(`invalid request: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Turns the outcome of an operation into a response envelope; unexpected errors are logged, not leaked whole. */
export async function answer(
  work: () => Promise<unknown>,
  transaction: ResponseEnvelope['transaction'],
  logger: Logger,
  context: Record<string, unknown>,
): Promise<ResponseEnvelope> {
  const envelope = (fields: Omit<ResponseEnvelope, 'transaction'>): ResponseEnvelope =>
    transaction === undefined ? fields : { ...fields, transaction };
  try {
    return envelope({ status: 'ok', data: await work() });
  } catch (error) {
    if (error instanceof RequestFailure) {
      logger.debug({ ...context, error: error.message }, 'request refused');
      return envelope({ status: 'error', error: error.message });
    }
    logger.error({ ...context, err: error }, 'request failed unexpectedly');
    return envelope({ status: 'error', error: `internal error: ${(error as Error).message}` });
  }
}

export function isPluginOperation(op: string): op is PluginRequestOp {
  return Object.hasOwn(pluginRequests, op);
}

/** Runs one plugin request: the operation named by the topic, for the hardware named by the topic. */
export function handlePluginRequest(
  core: RegistryCore,
  hardware: string,
  op: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  if (!isPluginOperation(op)) {
    return Promise.reject(
      new RequestFailure(
        `unknown operation ${JSON.stringify(op)}; known: ${Object.keys(pluginRequests).join(', ')}`,
      ),
    );
  }
  let request: unknown;
  try {
    request = parseRequest(pluginRequests[op].request, body);
  } catch (error) {
    return Promise.reject(error);
  }
  const operation = pluginOperations[op] as {
    write: boolean;
    run(
      scope: Parameters<Parameters<RegistryCore['run']>[2]>[0],
      hardware: string,
      request: unknown,
    ): unknown;
  };
  return core.run('plugin', operation.write, (scope) => operation.run(scope, hardware, request));
}

export function isBridgePath(path: string): path is keyof typeof bridgeRequests {
  return Object.hasOwn(bridgeRequests, path);
}

/** Runs one bridge request (MQTT or HTTP). */
export async function handleBridgeRequest(
  handlers: BridgeHandlers,
  path: string,
  body: Record<string, unknown>,
  origin: Origin,
): Promise<unknown> {
  if (!isBridgePath(path)) {
    throw new RequestFailure(
      `unknown request ${JSON.stringify(path)}; known: ${Object.keys(bridgeRequests).join(', ')}`,
      'not_found',
    );
  }
  const request = parseRequest(bridgeRequests[path].request, body);
  const handler = handlers[path] as (request: unknown, origin: Origin) => Promise<unknown>;
  return handler(request, origin);
}

/**
 * Serialises a response once (this is the hot path of every plugin update). Every subscriber refuses messages
 * above MAX_PAYLOAD_BYTES, so an answer that large would be lost silently; the caller gets an error that says so
 * instead (e.g. devices/list of a plugin with huge sValues). The envelope is built here from typed values, so it
 * is not validated again on the way out.
 */
function encodeResponse(response: ResponseEnvelope): string {
  const text = JSON.stringify(response);
  const size = Buffer.byteLength(text);
  if (size <= MAX_PAYLOAD_BYTES) return text;
  return JSON.stringify({
    status: 'error',
    error: `the answer is ${size} bytes, more than the ${MAX_PAYLOAD_BYTES} bytes a message may carry; ask for less (e.g. one device or unit at a time)`,
    ...(response.transaction === undefined ? {} : { transaction: response.transaction }),
  });
}

export interface RequestServerOptions {
  bus: Bus;
  core: RegistryCore;
  bridge: BridgeHandlers;
  logger: Logger;
  /** Reports a message that could not be answered on a response topic. */
  reject(topic: string, error: string): void;
}

/**
 * Serves `<base>/plugins/<hw>/request/<op>` and `<base>/bridge/request/<path>`. A request found in the broker's
 * retained store is stale (someone published it with retain) and is never run; every other bad request gets an
 * error response that says why.
 */
export function serveRequests(options: RequestServerOptions): void {
  const { bus, core, bridge, logger } = options;

  bus.subscribe(
    topics.pluginRequest,
    {},
    async (envelope, params, meta) => {
      if (meta.retain) return options.reject(meta.topic, 'retained requests are stale and are ignored');
      const response = await answer(
        () => handlePluginRequest(core, params.hw, params.op, envelope),
        envelope.transaction,
        logger,
        { hardware: params.hw, op: params.op },
      );
      const topic = bus.topic(topics.pluginResponse, { hw: params.hw, op: params.op });
      await bus.publishRaw(topic, encodeResponse(response), { qos: topics.pluginResponse.qos });
    },
    async (error, meta, params) => {
      if (!params) return options.reject(meta.topic, error);
      if (meta.retain) return options.reject(meta.topic, 'retained requests are stale and are ignored');
      await bus.publish(topics.pluginResponse, params, {
        status: 'error',
        error: `invalid request: ${error}`,
      });
    },
  );

  bus.subscribe(
    topics.bridgeRequest,
    {},
    async (envelope, params, meta) => {
      if (meta.retain) return options.reject(meta.topic, 'retained requests are stale and are ignored');
      const response = await answer(
        () => handleBridgeRequest(bridge, params.path, envelope, 'bridge'),
        envelope.transaction,
        logger,
        { path: params.path },
      );
      const topic = bus.topic(topics.bridgeResponse, { path: params.path });
      await bus.publishRaw(topic, encodeResponse(response), { qos: topics.bridgeResponse.qos });
    },
    async (error, meta, params) => {
      if (!params) return options.reject(meta.topic, error);
      if (meta.retain) return options.reject(meta.topic, 'retained requests are stale and are ignored');
      await bus.publish(topics.bridgeResponse, params, {
        status: 'error',
        error: `invalid request: ${error}`,
      });
    },
  );
}
