// gRPC admin server scaffolding every controller uses: the server (with grpc.health.v1
// and server reflection built in), the common Controller service, and the client `kr`
// and tests use.
export { DEFAULT_ADMIN_HOST, formatAdminAddress, isLoopback, parseAdminAddress, type AdminAddress } from './address.js';
export {
  ADMIN_CHANNEL_OPTIONS,
  AdminCallError,
  adminUnary,
  connectController,
  DEFAULT_CALL_DEADLINE_MS,
  type AdminUnary,
  type ConnectOptions,
  type ControllerConnection,
} from './client.js';
export { controllerService, LOG_LEVELS, statusOf, unaryHandler, type ControllerHandlers } from './controller.js';
export { DescriptorIndex, defaultDescriptorIndex, splitFileDescriptorSet, type DescribedFile } from './descriptors.js';
export { ServingStatus, type DeclaredServingStatus } from './health.js';
export type { AdminLogger } from './logger.js';
export { REFLECTION_V1, REFLECTION_V1ALPHA, ServerReflectionV1AlphaService } from './reflection.js';
export { AdminServer, DEFAULT_STOP_GRACE_MS, type AdminServerOptions } from './server.js';
