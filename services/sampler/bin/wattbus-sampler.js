#!/usr/bin/env node
// The wattbus-sampler command: offline replay and capture (see `wattbus-sampler --help`).
import '../dist/cli.js';
