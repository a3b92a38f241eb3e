// @kr/agent: what every controller binary shares — kube-router-compatible flags, the
// process wiring (admin API, bus, informers, sync runner, health, metrics) and the
// node-state section it publishes.
export { CONTROLLER_PORTS, CONTROLLERS, commonFlagSpecs, defaultNodeName, type ControllerPorts } from './common-flags.js';
export { commonConfig, type CommonConfig, type CommonFlagValues } from './config.js';
export {
  DEFAULT_RUNNER_TIMING,
  VERSION,
  runController,
  type ControllerContext,
  type ControllerDefinition,
  type ControllerLogic,
  type RunnerTiming,
} from './controller.js';
export { formatDuration, formatHelp, parseDuration, parseFlags, type FlagSpec, type FlagValues, type ParseResult } from './flags.js';
export { SectionBuilder, durationOf, type HeaderFacts, type SectionBody } from './section.js';
export { protoAddress, protoFamily, protoPrefix } from './proto-convert.js';
export { InputProblems } from './input-problems.js';
