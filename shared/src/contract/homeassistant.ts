import { z } from 'zod';

/** Home Assistant's own status topic: `online` after it starts (its birth message), `offline` when it stops. */
export const HomeAssistantStatus = z.enum(['online', 'offline']);

const Availability = z.object({
  topic: z.string(),
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  value_template: z.string().optional(),
});

/**
 * A single-component discovery config, with full key names (abbreviations are a known source of silently lost
 * settings). Unknown keys are kept: each component has its own.
 */
export const DiscoveryConfig = z.looseObject({
  unique_id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  name: z.string().nullable(),
  default_entity_id: z.string().optional(),
  object_id: z.string().optional(),
  device: z.looseObject({
    identifiers: z.array(z.string()).min(1),
    name: z.string(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    sw_version: z.string().optional(),
    via_device: z.string().optional(),
  }),
  origin: z.looseObject({
    name: z.string(),
    sw_version: z.string().optional(),
    support_url: z.string().optional(),
  }),
  availability: z.array(Availability).min(1),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  state_topic: z.string().optional(),
  command_topic: z.string().optional(),
  value_template: z.string().optional(),
  device_class: z.string().optional(),
  state_class: z.enum(['measurement', 'total', 'total_increasing']).optional(),
  unit_of_measurement: z.string().optional(),
});
export type DiscoveryConfig = z.infer<typeof DiscoveryConfig>;

/** The component types wattbus publishes. */
export const DiscoveryComponent = z.enum([
  'sensor',
  'binary_sensor',
  'switch',
  'light',
  'select',
  'number',
  'button',
  'text',
]);
export type DiscoveryComponent = z.infer<typeof DiscoveryComponent>;
