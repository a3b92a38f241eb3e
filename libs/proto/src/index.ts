// Generated protobuf types of the project's own packages. GoBGP's API is a separate
// entry point (`@kr/proto/gobgp`) so only the router pays for loading it.
export * as nodestate from './gen/kuberouter/nodestate/v1/nodestate.js';
export * as admin from './gen/kuberouter/admin/v1/admin.js';
// The router's own admin service (kuberouter.admin.v1.Router), one file per controller.
export * as routerAdmin from './gen/kuberouter/admin/v1/router.js';
export * as health from './gen/grpc/health/v1/health.js';
export * as reflection from './gen/grpc/reflection/v1/reflection.js';
export * as descriptor from './gen/google/protobuf/descriptor.js';
export { FILE_DESCRIPTOR_SET_BASE64 } from './gen/descriptors.js';
