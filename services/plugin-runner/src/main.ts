import { setFlagsFromString } from 'node:v8';

// One runner runs per plugin, so its idle memory is multiplied by the number of plugins. Before anything heavy
// loads: keep V8's young generation from growing while modules load (it never shrinks back); leave out the
// optimising and the baseline compilers, whose code and work buffers stay resident (about 1 MB); and compact the
// heap at every full collection, so the pages freed once start-up is over go back to the system at once instead
// of when V8 next decides to compact (about 1.5 MB). This process only relays messages, so none of it costs
// anything noticeable; the plugin process gets its own Node options (see `node_options`).
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--no-opt');
setFlagsFromString('--no-sparkplug');
setFlagsFromString('--compact-on-every-full-gc');

await import('./runner-service.js');
