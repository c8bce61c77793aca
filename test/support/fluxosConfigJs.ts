/** A FluxOS-shaped `ZelBack/config/default.js` for tests: code around a literal `preProd` block. */

/** The shape of FluxOS v8.17.0's ZelBack/config/default.js, with the recipe's block. */
export function fluxosDefaultJs(preProd: string): string {
  return [
    '// eslint-disable-next-line prefer-const',
    "let userconfig = require('../../config/userconfig');",
    '',
    'const isDevelopment = userconfig.initial.development || false;',
    "const dbPrefix = '';",
    '',
    'module.exports = {',
    '  development: isDevelopment,',
    "  loglevel: 'debug',",
    preProd,
    '  server: { apiport: 16127 },',
    // A template literal with an expression, as FluxOS writes its database names: code, never run.
    `  database: { local: { database: \`\${dbPrefix}zelfluxlocal\` } },`,
    '};',
    '',
  ].join('\n');
}
