import type { LiveReading, StartPlugin, StopPlugin } from '@wattbus/plugin-runner';
import { parsePluginConfig } from '../lib/plugin-config.js';
import { siteConfig } from '../lib/site-config.js';
import { InfluxConfig } from './config.js';
import { InfluxExporter } from './exporter.js';
import { PointBuffer } from './point-buffer.js';
import { pointsOf, type ReadingForInflux } from './points.js';
import { createWriter } from './writers.js';

/**
 * influxdb: the reference power monitor's storage as a plugin. Every `interval` seconds of readings becomes one
 * set of points in the reference's schema (power-calculation.md section 9), written in batches at millisecond
 * precision to InfluxDB 1.x or 2.x. While the database is unreachable points wait in a bounded buffer.
 */

let stopExporter: (() => Promise<void>) | undefined;

export const startPlugin: StartPlugin = async (_data, stopFlag, block, logger, extras) => {
  const config = parsePluginConfig(InfluxConfig, block, `plugins.${extras.pluginId}`);
  const site = config.site ?? siteConfig().general.name;
  const writer = createWriter(config);
  const buffer = new PointBuffer(config.buffer_size);
  const exporter = new InfluxExporter(
    writer,
    buffer,
    {
      batchSize: config.batch_size,
      maxBatch: config.max_batch,
      maxRetryDelayMs: config.max_retry_delay * 1000,
    },
    logger,
  );
  logger.info(
    { target: writer.description, site, interval: config.interval },
    'writing readings to InfluxDB',
  );

  let lastTime = Number.NEGATIVE_INFINITY;
  const onReading = (reading: LiveReading) => {
    const time = Date.parse(reading.timestamp);
    // The reading's own time stamps the points: a reading seen twice (after a reconnect) is written once.
    if (!Number.isFinite(time) || time - lastTime < config.interval * 1000) return;
    lastTime = time;
    exporter.add(pointsOf(reading as ReadingForInflux, site, time));
  };
  const unsubscribe = extras.onReading(onReading);

  let stopped: Promise<void> | undefined;
  stopExporter = () => {
    stopped ??= (async () => {
      unsubscribe();
      const unwritten = await exporter.stop();
      const summary = { written: exporter.written, dropped_total: buffer.dropped, unwritten };
      if (unwritten > 0)
        logger.error(summary, `stopping with ${unwritten} points InfluxDB did not take; they are lost`);
      else logger.info(summary, 'stopped; every buffered point was written');
    })();
    return stopped;
  };
  await stopFlag.wait();
  await stopExporter();
};

export const stopPlugin: StopPlugin = async () => {
  await stopExporter?.();
};
