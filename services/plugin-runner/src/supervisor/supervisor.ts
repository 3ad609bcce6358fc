import { type ChildProcess, fork } from 'node:child_process';
import { describeZodError, type Logger } from '@wattbus/shared';
import { EXIT_PERMANENT, type Feed, type InitMessage, type ToChild, ToParent } from '../ipc/messages.js';
import { RestartBackoff } from './backoff.js';
import type { PluginBusLink } from './bus-link.js';
import { Watchdog } from './watchdog.js';

/** What the plugin process is told at start (the init message), plus how to run and link it. */
export interface SupervisorOptions extends Omit<InitMessage, 'kind'> {
  /** The compiled plugin-process entry (host/child-main.js). */
  childModule: string;
  /** Node options for the plugin process. */
  execArgv: string[];
  /** The plugin process's environment. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  link: PluginBusLink;
  /** Called once when the plugin cannot start for a reason no restart fixes (bad folder, definition, parameters). */
  onPermanentFailure(reason: string): void;
}

/** Commands and events kept while the plugin is (re)starting; beyond this the oldest are dropped. */
const MAX_BUFFERED = 1000;

interface Run {
  child: ChildProcess;
  spawnedAt: number;
  startedAt: number | undefined;
  style: string | undefined;
  watchdog: Watchdog;
  /** The watchdog starts judging once the process has answered its first ping. */
  answered: boolean;
  fatal: { reason: string; permanent: boolean } | undefined;
  blocked: string | undefined;
  exited: Promise<void>;
}

/**
 * Keeps one plugin process running: forks it, relays bus traffic to and from it, restarts it with backoff when it
 * crashes, restarts it when the watchdog finds it blocked, and stops it with a deadline.
 */
export class Supervisor {
  private run: Run | undefined;
  private readonly backoff: RestartBackoff;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private pingSeq = 0;
  private buffered: ToChild[] = [];
  private droppedWhileDown = 0;
  private stopping = false;
  private restarts = 0;

  constructor(private readonly options: SupervisorOptions) {
    const { block } = options;
    this.backoff = new RestartBackoff(
      block.restart_delay,
      block.restart_max_delay,
      block.restart_reset_after,
    );
  }

  start(): void {
    this.spawn();
  }

  private spawn(): void {
    const { options } = this;
    const child = fork(options.childModule, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: options.execArgv,
      env: options.env,
      serialization: 'json',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const run: Run = {
      child,
      spawnedAt: Date.now(),
      startedAt: undefined,
      style: undefined,
      watchdog: new Watchdog(options.block.callback_timeout, Date.now()),
      answered: false,
      fatal: undefined,
      blocked: undefined,
      exited,
    };
    this.run = run;
    child.on('message', (message) => this.onMessage(run, message));
    child.once('exit', (code, signal) => this.onExit(run, code, signal));
    child.on('error', (error) => options.logger.error({ err: error.message }, 'plugin process error'));
    const { pluginId, folder, pluginsDir, block, logLevel, runnerVersion } = options;
    const init: InitMessage = { kind: 'init', pluginId, folder, pluginsDir, block, logLevel, runnerVersion };
    this.send(run, init);
    this.startWatchdog();
    options.logger.debug({ pid: child.pid }, 'plugin process started');
  }

  private send(run: Run, message: ToChild): void {
    if (!run.child.connected) return;
    run.child.send(message, (error) => {
      if (error && run.child.connected)
        this.options.logger.warn({ err: error.message }, 'could not send to the plugin process');
    });
  }

  /** Readings, energy and settings go to a live process; commands and events wait for a started plugin. */
  deliver(message: ToChild): void {
    const run = this.run;
    const queued = message.kind === 'command' || message.kind === 'event';
    if (run && (!queued || run.startedAt !== undefined)) {
      this.send(run, message);
      return;
    }
    if (!queued || this.stopping) return;
    this.buffered.push(message);
    if (this.buffered.length > MAX_BUFFERED) {
      this.buffered.shift();
      this.droppedWhileDown++;
    }
  }

  private onMessage(run: Run, raw: unknown): void {
    const parsed = ToParent.safeParse(raw);
    if (!parsed.success) {
      this.options.logger.warn(
        { error: describeZodError(parsed.error) },
        'ignored an invalid message from the plugin process',
      );
      return;
    }
    const message = parsed.data;
    switch (message.kind) {
      case 'loaded':
        run.style = message.style;
        return;
      case 'subscribe':
        for (const feed of message.feeds) this.subscribe(run, feed);
        return;
      case 'request':
        void this.options.link.request(message.op, message.payload).then((result) => {
          if ('data' in result)
            this.send(run, { kind: 'response', id: message.id, ok: true, data: result.data });
          else
            this.send(run, {
              kind: 'response',
              id: message.id,
              ok: false,
              error: result.error,
              timedOut: result.timedOut,
            });
        });
        return;
      case 'started':
        this.onStarted(run);
        return;
      case 'pong':
        run.answered = true;
        run.watchdog.onPong(Date.now(), message.callback, message.since);
        return;
      case 'fatal':
        run.fatal = { reason: message.reason, permanent: message.permanent };
        return;
    }
  }

  private subscribe(run: Run, feed: Feed): void {
    const { link } = this.options;
    link.ensureFeed(feed);
    const latest = link.latestOf(feed);
    if (latest === undefined) return;
    if (feed === 'readings') this.send(run, { kind: 'reading', reading: latest as never });
    else if (feed === 'energy') this.send(run, { kind: 'energy', energy: latest as never });
    else this.send(run, { kind: 'settings', settings: latest as never });
  }

  private onStarted(run: Run): void {
    const { link, logger } = this.options;
    run.startedAt = Date.now();
    link.setState('online');
    link.lifecycle('plugin_started', {
      plugin: this.options.folder,
      style: run.style ?? 'unknown',
      pid: run.child.pid ?? 0,
      restarts: this.restarts,
    });
    logger.info({ pid: run.child.pid, style: run.style, restarts: this.restarts }, 'plugin is running');
    if (this.droppedWhileDown > 0) {
      logger.warn(
        { dropped: this.droppedWhileDown },
        'commands and events were dropped while the plugin was down',
      );
      this.droppedWhileDown = 0;
    }
    const pending = this.buffered;
    this.buffered = [];
    for (const message of pending) this.send(run, message);
  }

  private startWatchdog(): void {
    clearInterval(this.watchdogTimer);
    const interval = this.options.block.watchdog_interval * 1000;
    this.watchdogTimer = setInterval(() => this.checkWatchdog(), interval);
  }

  private checkWatchdog(): void {
    const run = this.run;
    if (!run || this.stopping || run.blocked) return;
    if (run.answered) {
      const verdict = run.watchdog.check(Date.now());
      if (verdict.blocked) {
        this.onBlocked(run, verdict.reason, verdict.callback, verdict.seconds);
        return;
      }
    }
    this.send(run, { kind: 'ping', seq: ++this.pingSeq });
  }

  private onBlocked(run: Run, reason: string, callback: string | undefined, seconds: number): void {
    const { logger, link } = this.options;
    run.blocked = reason;
    logger.error({ callback, seconds }, `plugin blocked: ${reason}; killing and restarting it`);
    link.lifecycle('plugin_blocked', {
      plugin: this.options.folder,
      reason,
      callback: callback ?? null,
      seconds,
    });
    run.child.kill('SIGKILL');
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.run !== run) return;
    this.run = undefined;
    clearInterval(this.watchdogTimer);
    const { logger, link } = this.options;
    if (this.stopping) return;
    link.setState('offline');
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const reason = run.blocked ?? run.fatal?.reason ?? `the plugin process ${how}`;
    const permanent = run.fatal?.permanent === true || code === EXIT_PERMANENT;
    if (permanent) {
      link.lifecycle('plugin_failed', {
        plugin: this.options.folder,
        reason,
        exit_code: code,
        permanent: true,
      });
      logger.error({ exit_code: code }, `plugin cannot start and will not be restarted: ${reason}`);
      this.options.onPermanentFailure(reason);
      return;
    }
    const ranFor = (Date.now() - (run.startedAt ?? run.spawnedAt)) / 1000;
    const delay = this.backoff.next(run.startedAt === undefined ? 0 : ranFor);
    this.restarts++;
    link.lifecycle('plugin_failed', {
      plugin: this.options.folder,
      reason,
      exit_code: code,
      signal,
      restart_in_seconds: delay,
      consecutive_failures: this.backoff.consecutiveFailures,
    });
    logger.error(
      {
        exit_code: code,
        signal,
        restart_in_seconds: delay,
        consecutive_failures: this.backoff.consecutiveFailures,
      },
      `plugin failed (${reason}); restarting in ${delay} s`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawn();
    }, delay * 1000);
  }

  /** Asks the plugin to stop (its stop hook runs), waits up to stop_timeout, then ends the process. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdogTimer);
    const run = this.run;
    const { logger, link, block } = this.options;
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      this.send(run, { kind: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        run.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), block.stop_timeout * 1000);
        }),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        logger.warn(
          { stop_timeout: block.stop_timeout },
          `plugin did not stop within ${block.stop_timeout} s; ending it`,
        );
        run.child.kill('SIGKILL');
        await run.exited;
      }
      link.lifecycle('plugin_stopped', { plugin: this.options.folder, in_time: inTime });
    }
    link.cancelRequests('the plugin runner is stopping');
  }
}
