// Test helpers for the GoBGP adapter: real gobgpd speakers in throwaway namespaces.
export { createBgpLab, LAB_LINK, waitFor, type BgpLab, type BgpSpeaker } from './bgp-lab.js';
export { tcpMd5SkipReason } from './kernel.js';
export { relayTcpToUnix, type TcpRelay } from './tcp-relay.js';
