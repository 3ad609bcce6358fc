import { z } from 'zod';
import { BaseTopic, Port } from './common.js';

export const RegistrySection = z.strictObject({
  database: z.string().min(1).default('data/registry/registry.db'),
  http_host: z.string().min(1).default('127.0.0.1'),
  /** 0 turns the HTTP API off. */
  http_port: Port.default(8088),
});

export const HomeAssistantSection = z.strictObject({
  discovery: z.boolean().default(true),
  prefix: BaseTopic.default('homeassistant'),
});
