import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Node's networking modules, loaded when a Connection first needs one. Most plugins never open a Connection, and
 * loading these at start (http, tls, zlib, dgram, dns, crypto) costs every plugin process about 3 MB.
 */
export const builtins = {
  get dgram(): typeof import('node:dgram') {
    return require('node:dgram');
  },
  get dns(): typeof import('node:dns') {
    return require('node:dns');
  },
  get http(): typeof import('node:http') {
    return require('node:http');
  },
  get net(): typeof import('node:net') {
    return require('node:net');
  },
  get crypto(): typeof import('node:crypto') {
    return require('node:crypto');
  },
  get tls(): typeof import('node:tls') {
    return require('node:tls');
  },
  get zlib(): typeof import('node:zlib') {
    return require('node:zlib');
  },
};
