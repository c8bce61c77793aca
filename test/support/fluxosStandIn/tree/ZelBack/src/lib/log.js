// Stand-in for FluxOS's logger: error/warn/info/debug, one argument each, appended to
// error.log, warn.log, info.log and debug.log in the repository root (each line also goes to
// stdout so a failing test shows it).
const fs = require('node:fs');
const path = require('node:path');

const homeDirPath = path.join(__dirname, '../../../');

function write(level, args) {
  const text = typeof args === 'string' ? args : (args && args.message) || JSON.stringify(args);
  const line = `${new Date().toISOString()} => ${text}\n`;
  fs.appendFileSync(path.join(homeDirPath, `${level}.log`), line);
  process.stdout.write(`${level} ${line}`);
}

module.exports = {
  error: (args) => write('error', args),
  warn: (args) => write('warn', args),
  info: (args) => write('info', args),
  debug: (args) => write('debug', args),
};
