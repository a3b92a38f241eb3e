export { runCli } from './cli.js';
export { collectStatus, formatStatusTable, statusJson, type ControllerReport, type StatusReport } from './status.js';
