import {
  type Bus,
  bridgeRequests,
  decodePayload,
  describeZodError,
  filterFor,
  type Logger,
  MAX_PAYLOAD_BYTES,
  type PluginRequestOp,
  type PluginResponseData,
  parseTopic,
  pluginRequests,
  type ResponseEnvelope,
  topics,
} from '@wattbus/shared';
import type { z } from 'zod';
import { TopicCache } from '../publish/topic-cache.js';
import type { BridgeHandlers } from '../registry/bridge-operations.js';
import type { OperationScope, Origin } from '../registry/context.js';
import { pluginOperations } from '../registry/plugin-operations.js';
import type { RegistryCore } from '../registry/registry-core.js';
import { RequestFailure, type Settle } from '../store/group-commit.js';
import { type BatchedUpdates, runBatchedUpdates, withoutUnitRecords } from './batched-updates.js';
import { failureMessage } from './failure-message.js';

const STALE = 'retained requests are stale and are ignored';

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

/** The response envelope of an operation's outcome; unexpected errors are logged, not leaked whole. */
export function envelopeFor(
  ok: boolean,
  valueOrError: unknown,
  transaction: ResponseEnvelope['transaction'],
  logger: Logger,
  context: Record<string, unknown>,
): ResponseEnvelope {
  const fields: ResponseEnvelope = ok
    ? { status: 'ok', data: valueOrError }
    : { status: 'error', error: failureMessage(valueOrError, logger, context) };
  if (transaction !== undefined) fields.transaction = transaction;
  return fields;
}

/** Turns the outcome of an operation into a response envelope (see envelopeFor). */
export async function answer(
  work: () => Promise<unknown>,
  transaction: ResponseEnvelope['transaction'],
  logger: Logger,
  context: Record<string, unknown>,
): Promise<ResponseEnvelope> {
  try {
    return envelopeFor(true, await work(), transaction, logger, context);
  } catch (error) {
    return envelopeFor(false, error, transaction, logger, context);
  }
}

export function isPluginOperation(op: string): op is PluginRequestOp {
  return Object.hasOwn(pluginRequests, op);
}

type AnyPluginOperation = {
  write: boolean;
  run(scope: OperationScope, hardware: string, request: unknown): unknown;
};

/**
 * Runs one plugin request: the operation named by the topic, for the hardware named by the topic. `settle` is
 * called once: at once for a request that is refused before it is queued, else when its batch has committed.
 */
export function runPluginRequest(
  core: RegistryCore,
  hardware: string,
  op: string,
  body: Record<string, unknown>,
  settle: Settle<unknown>,
  /** Where an update of a `units/update` that failed unexpectedly (a bug) is reported. */
  logger?: Logger,
): void {
  if (!isPluginOperation(op)) {
    settle(
      false,
      new RequestFailure(
        `unknown operation ${JSON.stringify(op)}; known: ${Object.keys(pluginRequests).join(', ')}`,
      ),
    );
    return;
  }
  let request: unknown;
  try {
    request = parseRequest(pluginRequests[op].request, body);
  } catch (error) {
    settle(false, error);
    return;
  }
  if (op === 'units/update') {
    runBatchedUpdates(core, hardware, (request as BatchedUpdates).updates, settle, logger);
    return;
  }
  const operation = pluginOperations[op] as AnyPluginOperation;
  core.runThen('plugin', operation.write, (scope) => operation.run(scope, hardware, request), settle);
}

/** `runPluginRequest` as a promise of the answer's data. */
export function handlePluginRequest(
  core: RegistryCore,
  hardware: string,
  op: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    runPluginRequest(core, hardware, op, body, (ok, valueOrError) =>
      ok ? resolve(valueOrError) : reject(valueOrError),
    ),
  );
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
function encodeResponse(response: ResponseEnvelope, slimmer?: (data: unknown) => unknown): string {
  const text = JSON.stringify(response);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: the usual small answer needs no byte count.
  if (text.length <= MAX_PAYLOAD_BYTES / 3) return text;
  const size = Buffer.byteLength(text);
  if (size <= MAX_PAYLOAD_BYTES) return text;
  // An answer to writes that committed must not turn into an error: send what still fits.
  if (slimmer) return encodeResponse({ ...response, data: slimmer(response.data) });
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
  const { bus, bridge, logger } = options;
  servePluginRequests(options);

  bus.subscribe(
    topics.bridgeRequest,
    {},
    async (envelope, params, meta) => {
      if (meta.retain) return options.reject(meta.topic, STALE);
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
      if (meta.retain) return options.reject(meta.topic, STALE);
      await bus.publish(topics.bridgeResponse, params, {
        status: 'error',
        error: `invalid request: ${error}`,
      });
    },
  );
}

/** How an answer too large for one message is made smaller, for the operations whose answer can be. */
const slimmers: Partial<Record<string, (data: unknown) => unknown>> = {
  'units/update': (data) => withoutUnitRecords(data as PluginResponseData<'units/update'>),
};

/** What a plugin request's topic names, and where its answer goes. */
interface PluginRoute {
  hw: string;
  op: string;
  responseTopic: string;
}

/**
 * Plugin requests are the hot path of every reading, so this is Bus.subscribe's decoding (topic, then payload,
 * each refusal answered the same way) with the topic's parsing kept per topic string, and each request answered
 * straight from its commit rather than through a promise chain: a burst's answers are written together.
 */
function servePluginRequests(options: RequestServerOptions): void {
  const { bus, core, logger } = options;
  const routes = new TopicCache<PluginRoute | null>();
  const routeOf = (topic: string): PluginRoute | null => {
    const cached = routes.get(topic);
    if (cached !== undefined) return cached;
    const params = parseTopic(topics.pluginRequest, bus.roots, topic);
    return routes.set(
      topic,
      params ? { ...params, responseTopic: bus.topic(topics.pluginResponse, params) } : null,
    );
  };
  const reportUnsent = (error: unknown) =>
    logger.warn({ err: (error as Error).message }, 'could not publish a response');
  const respond = (route: PluginRoute, response: ResponseEnvelope) =>
    bus
      .publishRaw(route.responseTopic, encodeResponse(response, slimmers[route.op]), {
        qos: topics.pluginResponse.qos,
      })
      .catch(reportUnsent);

  bus.subscribeRaw(
    filterFor(topics.pluginRequest, bus.roots, {}),
    (topic, payload, packet) => {
      const route = routeOf(topic);
      if (!route) {
        return options.reject(
          topic,
          `topic ${JSON.stringify(topic)} does not match ${topics.pluginRequest.pattern}`,
        );
      }
      if (packet.retain) return options.reject(topic, STALE);
      const decoded = decodePayload(topics.pluginRequest, payload);
      if (!decoded.ok) return respond(route, { status: 'error', error: `invalid request: ${decoded.error}` });
      const envelope = decoded.value;
      const { transaction } = envelope;
      runPluginRequest(
        core,
        route.hw,
        route.op,
        envelope,
        (ok, valueOrError) =>
          respond(
            route,
            envelopeFor(ok, valueOrError, transaction, logger, { hardware: route.hw, op: route.op }),
          ),
        logger,
      );
    },
    topics.pluginRequest.qos,
  );
}
