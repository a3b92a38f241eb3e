// GoBGP's gRPC API (package apipb), generated from Debian's golang-github-osrg-gobgp-dev.
export * as gobgp from './gen/gobgp/gobgp.js';
export * as gobgpAttr from './gen/gobgp/attribute.js';
export * as gobgpCap from './gen/gobgp/capability.js';
export { Any } from './gen/google/protobuf/any.js';
