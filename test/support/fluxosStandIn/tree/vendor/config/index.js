// Stand-in for node-config 3.x, as much of it as FluxOS's boot relies on: the configuration is
// NODE_CONFIG_DIR/default.js deep-merged with the JSON in the NODE_CONFIG environment variable,
// every object in it carries hidden (non-enumerable) get() and has() methods, and it is frozen.
const path = require('node:path');

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(target, source) {
  for (const [key, value] of Object.entries(source)) {
    if (isObject(value) && isObject(target[key])) merge(target[key], value);
    else target[key] = value;
  }
  return target;
}

function lookup(object, property) {
  return String(property).split('.').reduce((node, key) => (isObject(node) ? node[key] : undefined), object);
}

function attachAndFreeze(object) {
  Object.defineProperty(object, 'get', {
    value(property) {
      const value = lookup(this, property);
      if (value === undefined) throw new Error(`Configuration property "${property}" is not defined`);
      return value;
    },
  });
  Object.defineProperty(object, 'has', { value(property) { return lookup(this, property) !== undefined; } });
  for (const value of Object.values(object)) if (isObject(value)) attachAndFreeze(value);
  return Object.freeze(object);
}

const dir = process.env.NODE_CONFIG_DIR || path.join(process.cwd(), 'config');
// eslint-disable-next-line import/no-dynamic-require
const defaults = require(path.join(dir, 'default.js'));
const overrides = process.env.NODE_CONFIG ? JSON.parse(process.env.NODE_CONFIG) : {};

module.exports = attachAndFreeze(merge(merge({}, JSON.parse(JSON.stringify(defaults))), overrides));
