import { filterMatches } from '@wattbus/shared';
import type { ReceivedMessage } from '../helpers/mqtt.js';
import { BASE, expectedReason, type FuzzMessage } from './fuzz-corpus.js';

/** A pino log line of a service, parsed. */
export interface LogLine {
  level: string | number;
  msg?: string;
  topic?: string;
  error?: string;
  reason?: string;
  [key: string]: unknown;
}

export function parseLogLines(lines: readonly string[]): LogLine[] {
  const parsed: LogLine[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      parsed.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by the process ending; nothing to learn from it.
    }
  }
  return parsed;
}

/** pino writes labels (`"warn"`) with wattbus' logger; numbers are accepted too. */
export function isErrorLevel(line: LogLine): boolean {
  return (
    line.level === 'error' || line.level === 'fatal' || (typeof line.level === 'number' && line.level >= 50)
  );
}

interface Response {
  topic: string;
  status: string;
  error?: string;
  transaction?: unknown;
}

interface BridgeEvent {
  type: string;
  data: { topic?: string; reason?: string; error?: string; [key: string]: unknown };
}

/** What the services said, from the bus (responses and bridge events) and from their logs. */
export interface Observed {
  messages: readonly ReceivedMessage[];
  logs: Record<'registry' | 'plugin' | 'sampler', readonly LogLine[]>;
  /** The outcome of each publish: undefined when the broker took it, else the error. */
  published: ReadonlyMap<number, string | undefined>;
}

export interface Verdict {
  /** Expected answers that did not come, one line each. */
  unanswered: string[];
  /** Requests that were carried out (status ok): a refusal was expected. */
  accepted: string[];
  /** One reason per class, as the service gave it. */
  samples: Map<string, string>;
  /** Error answers that admit an internal error rather than naming what was wrong. */
  internalErrors: string[];
}

const key = (...parts: string[]) => parts.join('\u0001');

function increment(map: Map<string, number>, k: string): void {
  map.set(k, (map.get(k) ?? 0) + 1);
}

/**
 * Keeps the distinct reasons given on one topic (bounded: a topic that gets thousands of answers repeats a few
 * dozen reasons with different values in them), so that each class can be shown with a reason of its own kind.
 */
function remember(reasons: Map<string, string[]>, k: string, reason: string): void {
  const list = reasons.get(k) ?? [];
  if (list.length < 500 && !list.includes(reason)) list.push(reason);
  reasons.set(k, list);
}

/** Checks every message of the corpus against what was observed. */
export function judge(corpus: readonly FuzzMessage[], observed: Observed): Verdict {
  const byTransaction = new Map<string, Response[]>();
  const anonymous = new Map<string, number>();
  const anonymousReason = new Map<string, string[]>();
  const events = new Map<string, number>();
  const eventReason = new Map<string, string[]>();
  const internalErrors: string[] = [];
  const anonymousAccepted: string[] = [];
  const responseFilters = [`${BASE}/plugins/+/response/#`, `${BASE}/bridge/response/#`];

  // The watcher also receives the corpus itself: garbage the fuzzer published on response topics (for the plugin
  // runner to refuse) is not an answer from the registry, e.g. a bare `42` would otherwise count as an anonymous
  // error response with no reason. Each published message is skipped once, by its exact topic and bytes.
  const echoes = new Map<string, number>();
  for (const message of corpus) {
    if (message.expect.kind === 'refused' || observed.published.get(message.index) !== undefined) continue;
    increment(echoes, key(message.topic, message.payload.toString('latin1')));
  }
  const isEcho = (topic: string, payload: Buffer) => {
    const k = key(topic, payload.toString('latin1'));
    const left = echoes.get(k) ?? 0;
    if (left === 0) return false;
    echoes.set(k, left - 1);
    return true;
  };

  for (const message of observed.messages) {
    if (isEcho(message.topic, message.payload)) continue;
    if (responseFilters.some((filter) => filterMatches(filter, message.topic))) {
      let response: Response;
      try {
        response = { topic: message.topic, ...(JSON.parse(message.text) as Omit<Response, 'topic'>) };
      } catch {
        continue;
      }
      if (response.status === 'error' && /internal error/i.test(response.error ?? '')) {
        internalErrors.push(`${message.topic}: ${response.error}`);
      }
      if (response.transaction === undefined) {
        // Without a transaction nobody can tell which request it answers: it only counts as a refusal.
        if (response.status !== 'error') {
          anonymousAccepted.push(`${message.topic}: ${message.text.slice(0, 200)}`);
          continue;
        }
        increment(anonymous, message.topic);
        remember(anonymousReason, message.topic, response.error ?? '');
      } else {
        const list = byTransaction.get(String(response.transaction)) ?? [];
        list.push(response);
        byTransaction.set(String(response.transaction), list);
      }
    } else if (message.topic === `${BASE}/bridge/event`) {
      const event = JSON.parse(message.text) as BridgeEvent;
      const topic = event.data?.topic;
      if (typeof topic === 'string') {
        increment(events, key(event.type, topic));
        const reason = event.data.reason ?? event.data.error ?? '';
        remember(eventReason, key(event.type, topic), reason);
        if (/internal error/i.test(reason)) internalErrors.push(`${event.type} ${topic}: ${reason}`);
      }
    }
  }

  const logs = new Map<string, number>();
  const logReason = new Map<string, string[]>();
  for (const [process, lines] of Object.entries(observed.logs)) {
    for (const line of lines) {
      if (typeof line.topic !== 'string' || typeof line.msg !== 'string') continue;
      const k = key(process, line.msg, line.topic);
      increment(logs, k);
      remember(logReason, k, String(line.error ?? line.reason ?? line.msg));
    }
  }

  // Expected counts per aggregate key; every message claims one answer.
  const wanted = new Map<string, { count: number; example: FuzzMessage }>();
  const want = (k: string, message: FuzzMessage) => {
    const entry = wanted.get(k);
    if (entry) entry.count++;
    else wanted.set(k, { count: 1, example: message });
  };
  const unanswered: string[] = [];
  const accepted: string[] = [];
  const samples = new Map<string, string>();
  // Answers on one topic cannot be told apart by message (only transactions can), so a class's sample is the
  // first reason on its topic that matches the class's expected wording, when the corpus names one: a class whose
  // kind of reason never appears has no sample, and the test fails for it.
  const sample = (message: FuzzMessage, reasons: string[] | undefined) => {
    if (samples.has(message.cls) || !reasons) return;
    const pattern = expectedReason(message.cls);
    const found = reasons.find((reason) => reason.length > 0 && (!pattern || pattern.test(reason)));
    if (found !== undefined) samples.set(message.cls, found);
  };
  const describe = (message: FuzzMessage) =>
    `#${message.index} ${message.cls} from ${message.sender} on ${JSON.stringify(message.topic)} (${message.payload.length} bytes: ${JSON.stringify(message.payload.subarray(0, 80).toString('utf8'))})`;

  for (const message of corpus) {
    const outcome = observed.published.get(message.index);
    const { expect } = message;
    if (expect.kind === 'refused') {
      if (!outcome || !/not authori[sz]ed/i.test(outcome)) {
        unanswered.push(`${describe(message)}: the broker did not refuse it (${outcome ?? 'accepted'})`);
      } else if (!samples.has(message.cls)) samples.set(message.cls, outcome);
      continue;
    }
    if (outcome !== undefined) {
      unanswered.push(`${describe(message)}: publishing failed: ${outcome}`);
      continue;
    }
    switch (expect.kind) {
      case 'response': {
        const answers = byTransaction.get(expect.transaction) ?? [];
        const mine = answers.filter((answer) => answer.topic === expect.topic);
        if (mine.length === 0) unanswered.push(`${describe(message)}: no response on ${expect.topic}`);
        for (const answer of mine) {
          if (answer.status !== 'error')
            accepted.push(`${describe(message)}: answered ${JSON.stringify(answer)}`);
          else if (!samples.has(message.cls)) samples.set(message.cls, answer.error ?? '');
        }
        break;
      }
      case 'anonymous-response':
        want(key('anonymous', expect.topic), message);
        sample(message, anonymousReason.get(expect.topic));
        break;
      case 'event': {
        const k = key(expect.type, expect.topic);
        want(key('event', k), message);
        sample(message, eventReason.get(k));
        break;
      }
      case 'log': {
        const k = key(expect.process, expect.msg, expect.topic);
        want(key('log', k), message);
        sample(message, logReason.get(k));
        break;
      }
      case 'unrouted':
        if (!samples.has(message.cls)) samples.set(message.cls, '(no service subscribes to this topic)');
        break;
    }
  }
  for (const [k, { count, example }] of wanted) {
    const [kind, ...rest] = k.split('\u0001');
    const restKey = rest.join('\u0001');
    const got =
      kind === 'anonymous'
        ? (anonymous.get(restKey) ?? 0)
        : kind === 'event'
          ? (events.get(restKey) ?? 0)
          : (logs.get(restKey) ?? 0);
    if (got < count) {
      unanswered.push(
        `${count - got} of ${count} ${kind === 'log' ? 'log lines' : kind === 'event' ? 'events' : 'error responses'} missing for ${rest.join(' | ')}, e.g. ${describe(example)}`,
      );
    }
  }
  accepted.push(
    ...anonymousAccepted.map((line) => `a response without transaction that is not an error: ${line}`),
  );
  return { unanswered, accepted, samples, internalErrors };
}
