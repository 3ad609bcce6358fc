import { setFlagsFromString } from 'node:v8';

// One runner runs per plugin, so its idle memory is multiplied by the number of plugins. Before anything heavy
// loads: keep V8's young generation from growing while modules load (it never shrinks back), and leave out the
// optimising compiler, whose work buffers stay resident. This process only relays messages, so neither costs
// anything noticeable; the plugin process gets its own Node options (see `node_options`).
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--no-opt');

await import('./runner-service.js');
