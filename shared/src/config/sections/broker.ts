import { z } from 'zod';
import { Port } from './common.js';

export const BrokerSection = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: Port.default(1883),
  allow_anonymous: z.boolean().default(false),
  data_dir: z.string().min(1).default('data/broker'),
});
