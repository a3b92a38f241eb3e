// Validation of the kinds the simulator serves: the checks and wording of
// kube-apiserver's validation for the fields our controllers and tests touch. Errors are
// collected per object and answered as one 422 Invalid naming every field.
import { compileLabelSelector } from '@kr/k8s';
import { containsCidr, tryParseCIDR, tryParseIP, type Family } from '@kr/ip';
import type { FieldErrors } from './simulator-status.js';
import type { KObject, ResourceType } from './simulator-resources.js';

type Obj = Record<string, unknown>;

export const asObj = (value: unknown): Obj => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export function checkDns1123Label(errs: FieldErrors, field: string, value: string): void {
  if (value.length > 63) errs.invalid(field, value, 'must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) errs.invalid(field, value, DNS1123_LABEL_MESSAGE);
}

function checkSubdomain(errs: FieldErrors, field: string, value: string): void {
  if (value.length > 253) errs.invalid(field, value, 'must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) errs.invalid(field, value, DNS1123_SUBDOMAIN_MESSAGE);
}

/** How each kind's names are checked (apimachinery's NameIsDNS* functions). */
const NAME_RULES: Record<string, (errs: FieldErrors, field: string, value: string) => void> = {
  Namespace: checkDns1123Label,
  Service: (errs, field, value) => {
    if (value.length > 63) errs.invalid(field, value, 'must be no more than 63 characters');
    if (!DNS1035_LABEL.test(value)) errs.invalid(field, value, DNS1035_MESSAGE);
  },
  // Event names are free-form path segments (they embed a timestamp in hex).
  Event: (errs, field, value) => {
    if (value === '.' || value === '..' || value.includes('/') || value.includes('%')) errs.invalid(field, value, 'may not contain \'/\' or \'%\'');
  },
};

function checkQualifiedName(errs: FieldErrors, field: string, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (prefix === '' || !DNS1123_SUBDOMAIN.test(prefix))) errs.invalid(field, key, `prefix part ${DNS1123_SUBDOMAIN_MESSAGE}`);
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errs.invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
}

export function validateMeta(type: ResourceType, obj: KObject, errs: FieldErrors): void {
  const meta = obj.metadata;
  if (!meta.name) {
    if (!meta.generateName) errs.required('metadata.name', 'name or generateName is required');
  } else {
    (NAME_RULES[type.kind] ?? checkSubdomain)(errs, 'metadata.name', meta.name);
  }
  if (type.namespaced && !meta.namespace) errs.required('metadata.namespace');
  for (const [key, value] of Object.entries(asObj(meta.labels))) {
    checkQualifiedName(errs, 'metadata.labels', key);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      errs.invalid('metadata.labels', value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(asObj(meta.annotations))) {
    checkQualifiedName(errs, 'metadata.annotations', key.toLowerCase());
    annotationBytes += key.length + String(value).length;
  }
  if (annotationBytes > 256 * 1024) errs.list.push({ type: 'TooLong', field: 'metadata.annotations', detail: 'may not be more than 262144 bytes' });
}

// ---------------------------------------------------------------- shared pieces

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function isValidPortNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function checkPortNumber(errs: FieldErrors, field: string, value: unknown): void {
  if (!isValidPortNumber(value)) errs.invalid(field, value, 'must be between 1 and 65535, inclusive');
}

/** IANA_SVC_NAME: what a named port may be called. */
function checkPortName(errs: FieldErrors, field: string, value: string): void {
  if (value.length > 15) errs.invalid(field, value, 'must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(value)) errs.invalid(field, value, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  else if (value.includes('--')) errs.invalid(field, value, 'must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errs.invalid(field, value, 'must contain at least one letter (a-z)');
}

/** A port given as a number or a name (targetPort, NetworkPolicy ports). */
function checkIntOrName(errs: FieldErrors, field: string, value: unknown): void {
  if (typeof value === 'number') checkPortNumber(errs, field, value);
  else if (typeof value === 'string') {
    if (/^[0-9]+$/.test(value)) checkPortNumber(errs, field, Number(value));
    else checkPortName(errs, field, value);
  } else errs.invalid(field, value, 'must be an integer or a port name');
}

function checkProtocol(errs: FieldErrors, field: string, value: unknown): void {
  if (!PROTOCOLS.includes(value as string)) errs.notSupported(field, value, PROTOCOLS);
}

function checkEnum(errs: FieldErrors, field: string, value: unknown, allowed: readonly string[]): void {
  if (isSet(value) && !allowed.includes(value as string)) errs.notSupported(field, value, allowed);
}

function checkSelector(errs: FieldErrors, field: string, selector: unknown): void {
  if (selector === undefined || selector === null) return;
  try {
    compileLabelSelector(asObj(selector));
  } catch (err) {
    errs.invalid(field, selector, (err as Error).message);
  }
}

/** A list of addresses of at most one per family (podIPs, clusterIPs, podCIDRs). */
export function checkDualStackList(errs: FieldErrors, field: string, values: readonly string[], kind: 'IP' | 'CIDR'): void {
  if (values.length > 2) errs.tooMany(field, values.length, 2);
  const families: Family[] = [];
  values.forEach((value, i) => {
    const parsed = kind === 'IP' ? tryParseIP(value) : tryParseCIDR(value, { strict: false });
    if (!parsed) {
      errs.invalid(`${field}[${i}]`, value, kind === 'IP' ? 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' : 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
      return;
    }
    families.push(parsed.family);
  });
  if (families.length === 2 && families[0] === families[1]) {
    errs.invalid(field, values, `may specify no more than one ${kind} for each IP family`);
  }
}

// ---------------------------------------------------------------- Service

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
export const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];

export function needsNodePorts(spec: Obj): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

export function needsHealthCheckNodePort(spec: Obj): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

export function validateService(obj: KObject, errs: FieldErrors): void {
  const spec = asObj(obj.spec);
  const type = spec.type as string;
  checkEnum(errs, 'spec.type', type, SERVICE_TYPES);
  const ports = asList(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.required('spec.ports');
  const names = new Set<string>();
  const portProtocols = new Set<string>();
  ports.forEach((raw, i) => {
    const port = asObj(raw);
    const at = `spec.ports[${i}]`;
    const name = (port.name as string | undefined) ?? '';
    if (ports.length > 1 && !name) errs.required(`${at}.name`);
    if (name) {
      checkDns1123Label(errs, `${at}.name`, name);
      if (names.has(name)) errs.duplicate(`${at}.name`, name);
      names.add(name);
    }
    checkPortNumber(errs, `${at}.port`, port.port);
    checkProtocol(errs, `${at}.protocol`, port.protocol);
    if (isSet(port.targetPort)) checkIntOrName(errs, `${at}.targetPort`, port.targetPort);
    const identity = `${String(port.port)}/${String(port.protocol)}`;
    if (portProtocols.has(identity)) errs.duplicate(at, { port: port.port, protocol: port.protocol });
    portProtocols.add(identity);
    if (isSet(port.nodePort) && !needsNodePorts(spec)) errs.forbidden(`${at}.nodePort`, 'may not be used when `type` is \'ClusterIP\'');
  });
  checkEnum(errs, 'spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']);
  if (type === 'ExternalName') {
    if (!isSet(spec.externalName)) errs.required('spec.externalName');
    if (isSet(spec.clusterIP) || asList(spec.clusterIPs).length) errs.forbidden('spec.clusterIPs', 'may not be set for ExternalName services');
    if (isSet(spec.ipFamilyPolicy)) errs.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services');
    if (asList(spec.ipFamilies).length) errs.forbidden('spec.ipFamilies', 'may not be set for ExternalName services');
  }
  if (headless && needsNodePorts(spec)) errs.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`);
  checkEnum(errs, 'spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']);
  if (isSet(spec.externalTrafficPolicy) && !needsNodePorts(spec) && asList(spec.externalIPs).length === 0) {
    errs.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services');
  }
  checkEnum(errs, 'spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']);
  if (isSet(spec.healthCheckNodePort) && spec.healthCheckNodePort !== 0 && !needsHealthCheckNodePort(spec)) {
    errs.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
  }
  asList(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip !== 'string' || !tryParseIP(ip)) errs.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  });
  checkEnum(errs, 'spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES);
  const families = asList(spec.ipFamilies);
  if (families.length > 2) errs.tooMany('spec.ipFamilies', families.length, 2);
  families.forEach((family, i) => {
    checkEnum(errs, `spec.ipFamilies[${i}]`, family, ['IPv4', 'IPv6']);
    if (families.indexOf(family) !== i) errs.duplicate(`spec.ipFamilies[${i}]`, family);
  });
  validateClusterIPs(spec, errs);
}

/** The clusterIP/clusterIPs/ipFamilies consistency rules (ValidateServiceClusterIPsRelatedFields). */
export function validateClusterIPs(spec: Obj, errs: FieldErrors): void {
  const ips = asList(spec.clusterIPs) as string[];
  if (isSet(spec.clusterIP) && ips.length && ips[0] !== spec.clusterIP) {
    errs.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`');
  }
  if (ips.length > 2) errs.tooMany('spec.clusterIPs', ips.length, 2);
  if (ips[0] === 'None') {
    if (ips.length > 1) errs.invalid('spec.clusterIPs[1]', ips[1], "must be empty when the first value is 'None'");
    return;
  }
  const families = asList(spec.ipFamilies);
  ips.forEach((ip, i) => {
    const parsed = tryParseIP(ip);
    if (!parsed) errs.invalid(`spec.clusterIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    else if (families[i] !== undefined && families[i] !== (parsed.family === 'ipv4' ? 'IPv4' : 'IPv6')) {
      errs.invalid(`spec.clusterIPs[${i}]`, ip, `expected an ${String(families[i])} value as indicated by \`ipFamilies[${i}]\``);
    }
  });
  const parsed = ips.map((ip) => tryParseIP(ip)).filter((ip) => ip !== undefined);
  if (parsed.length === 2 && parsed[0]?.family === parsed[1]?.family) {
    errs.invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family');
  }
}

// ---------------------------------------------------------------- Pod

export function validatePod(obj: KObject, errs: FieldErrors): void {
  const spec = asObj(obj.spec);
  const containers = asList(spec.containers);
  if (containers.length === 0) errs.required('spec.containers');
  const containerNames = new Set<string>();
  const portNames = new Set<string>();
  const checkContainers = (list: unknown[], field: string) =>
    list.forEach((raw, i) => {
      const c = asObj(raw);
      const at = `${field}[${i}]`;
      if (!isSet(c.name)) errs.required(`${at}.name`);
      else {
        checkDns1123Label(errs, `${at}.name`, c.name as string);
        if (containerNames.has(c.name as string)) errs.duplicate(`${at}.name`, c.name);
        containerNames.add(c.name as string);
      }
      if (!isSet(c.image)) errs.required(`${at}.image`);
      asList(c.ports).forEach((rawPort, j) => {
        const port = asObj(rawPort);
        const pat = `${at}.ports[${j}]`;
        checkPortNumber(errs, `${pat}.containerPort`, port.containerPort);
        checkProtocol(errs, `${pat}.protocol`, port.protocol);
        if (isSet(port.hostPort) && port.hostPort !== 0) checkPortNumber(errs, `${pat}.hostPort`, port.hostPort);
        if (isSet(port.name)) {
          checkPortName(errs, `${pat}.name`, port.name as string);
          if (portNames.has(port.name as string)) errs.duplicate(`${pat}.name`, port.name);
          portNames.add(port.name as string);
        }
      });
    });
  checkContainers(containers, 'spec.containers');
  checkContainers(asList(spec.initContainers), 'spec.initContainers');
  checkEnum(errs, 'spec.restartPolicy', spec.restartPolicy, ['Always', 'Never', 'OnFailure']);
  checkEnum(errs, 'spec.dnsPolicy', spec.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']);
  if (isSet(spec.nodeName)) checkSubdomain(errs, 'spec.nodeName', spec.nodeName as string);
  validatePodStatus(obj, errs);
}

export function validatePodStatus(obj: KObject, errs: FieldErrors): void {
  const status = asObj(obj.status);
  checkEnum(errs, 'status.phase', status.phase, ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']);
  const podIPs = asList(status.podIPs).map((p) => String(asObj(p).ip ?? ''));
  checkDualStackList(errs, 'status.podIPs', podIPs, 'IP');
  if (podIPs.length && isSet(status.podIP) && podIPs[0] !== status.podIP) {
    errs.invalid('status.podIPs[0].ip', podIPs[0], 'must be equal to status.podIP');
  }
}

/** Fields of a pod spec that an update may change (ValidatePodUpdate). */
export function mutablePodSpecView(spec: Obj): unknown {
  const view = structuredClone(spec);
  delete view.activeDeadlineSeconds;
  delete view.tolerations;
  delete view.terminationGracePeriodSeconds;
  for (const list of ['containers', 'initContainers']) {
    for (const c of asList(view[list])) delete asObj(c).image;
  }
  return view;
}

// ---------------------------------------------------------------- Node

export function validateNode(obj: KObject, errs: FieldErrors): void {
  const spec = asObj(obj.spec);
  const cidrs = asList(spec.podCIDRs) as string[];
  checkDualStackList(errs, 'spec.podCIDRs', cidrs, 'CIDR');
  if (cidrs.length && isSet(spec.podCIDR) && cidrs[0] !== spec.podCIDR) {
    errs.invalid('spec.podCIDRs', cidrs, 'first value must match `spec.podCIDR`');
  }
  const types = ['ExternalDNS', 'ExternalIP', 'Hostname', 'InternalDNS', 'InternalIP'];
  asList(asObj(obj.status).addresses).forEach((raw, i) => {
    const address = asObj(raw);
    checkEnum(errs, `status.addresses[${i}].type`, address.type, types);
    if ((address.type === 'InternalIP' || address.type === 'ExternalIP') && !tryParseIP(String(address.address ?? ''))) {
      errs.invalid(`status.addresses[${i}].address`, address.address, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    }
  });
}

// ---------------------------------------------------------------- NetworkPolicy

export function validateNetworkPolicy(obj: KObject, errs: FieldErrors): void {
  const spec = asObj(obj.spec);
  checkSelector(errs, 'spec.podSelector', spec.podSelector);
  const policyTypes = asList(spec.policyTypes);
  if (policyTypes.length > 2) errs.tooMany('spec.policyTypes', policyTypes.length, 2);
  policyTypes.forEach((t, i) => {
    checkEnum(errs, `spec.policyTypes[${i}]`, t, ['Egress', 'Ingress']);
    if (policyTypes.indexOf(t) !== i) errs.duplicate(`spec.policyTypes[${i}]`, t);
  });
  for (const [direction, peersField] of [['ingress', 'from'], ['egress', 'to']] as const) {
    asList(spec[direction]).forEach((rawRule, i) => {
      const rule = asObj(rawRule);
      const at = `spec.${direction}[${i}]`;
      asList(rule.ports).forEach((rawPort, j) => validatePolicyPort(errs, `${at}.ports[${j}]`, asObj(rawPort)));
      asList(rule[peersField]).forEach((rawPeer, j) => validatePeer(errs, `${at}.${peersField}[${j}]`, asObj(rawPeer)));
    });
  }
}

function validatePolicyPort(errs: FieldErrors, at: string, port: Obj): void {
  if (isSet(port.protocol)) checkProtocol(errs, `${at}.protocol`, port.protocol);
  if (isSet(port.port)) checkIntOrName(errs, `${at}.port`, port.port);
  if (!isSet(port.endPort)) return;
  if (typeof port.port !== 'number') {
    errs.invalid(`${at}.endPort`, port.endPort, isSet(port.port) ? 'may not be specified when `port` is non-numeric' : 'may not be specified when `port` is not specified');
    return;
  }
  checkPortNumber(errs, `${at}.endPort`, port.endPort);
  if (typeof port.endPort === 'number' && port.endPort < port.port) errs.invalid(`${at}.endPort`, port.endPort, 'must be greater than or equal to `port`');
}

function validatePeer(errs: FieldErrors, at: string, peer: Obj): void {
  const selectors = isSet(peer.podSelector) || isSet(peer.namespaceSelector);
  const block = peer.ipBlock;
  if (!selectors && !block) {
    errs.required(at, 'must specify a peer');
    return;
  }
  if (selectors && block) errs.forbidden(at, 'may not specify more than 1 peer type');
  checkSelector(errs, `${at}.podSelector`, peer.podSelector);
  checkSelector(errs, `${at}.namespaceSelector`, peer.namespaceSelector);
  if (!block) return;
  const ipBlock = asObj(block);
  const cidr = typeof ipBlock.cidr === 'string' ? tryParseCIDR(ipBlock.cidr) : undefined;
  if (!isSet(ipBlock.cidr)) errs.required(`${at}.ipBlock.cidr`);
  else if (!cidr) errs.invalid(`${at}.ipBlock.cidr`, ipBlock.cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
  asList(ipBlock.except).forEach((raw, k) => {
    const field = `${at}.ipBlock.except[${k}]`;
    const except = typeof raw === 'string' ? tryParseCIDR(raw) : undefined;
    if (!except) errs.invalid(field, raw, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
    else if (cidr && (!containsCidr(cidr, except) || except.prefixLength <= cidr.prefixLength)) {
      errs.invalid(field, raw, 'must be a strict subset of `cidr`');
    }
  });
}

// ---------------------------------------------------------------- EndpointSlice

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(obj: KObject, errs: FieldErrors): void {
  const addressType = obj.addressType;
  if (!isSet(addressType)) errs.required('addressType');
  else checkEnum(errs, 'addressType', addressType, ADDRESS_TYPES);
  const endpoints = asList(obj.endpoints);
  if (endpoints.length > 1000) errs.tooMany('endpoints', endpoints.length, 1000);
  endpoints.forEach((raw, i) => {
    const endpoint = asObj(raw);
    const addresses = asList(endpoint.addresses);
    if (addresses.length === 0) errs.required(`endpoints[${i}].addresses`, 'must contain at least 1 address');
    if (addresses.length > 100) errs.tooMany(`endpoints[${i}].addresses`, addresses.length, 100);
    addresses.forEach((address, j) => {
      const field = `endpoints[${i}].addresses[${j}]`;
      if (addressType === 'FQDN') {
        if (typeof address !== 'string' || !DNS1123_SUBDOMAIN.test(address)) errs.invalid(field, address, DNS1123_SUBDOMAIN_MESSAGE);
        return;
      }
      const ip = typeof address === 'string' ? tryParseIP(address) : undefined;
      const family = addressType === 'IPv6' ? 'ipv6' : 'ipv4';
      if (!ip || ip.family !== family) errs.invalid(field, address, `must be a valid ${String(addressType)} address`);
    });
    if (isSet(endpoint.nodeName)) checkSubdomain(errs, `endpoints[${i}].nodeName`, endpoint.nodeName as string);
  });
  const ports = asList(obj.ports);
  if (ports.length > 100) errs.tooMany('ports', ports.length, 100);
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const port = asObj(raw);
    const name = (port.name as string | undefined) ?? '';
    if (name) checkDns1123Label(errs, `ports[${i}].name`, name);
    if (names.has(name)) errs.duplicate(`ports[${i}].name`, name);
    names.add(name);
    if (isSet(port.port)) checkPortNumber(errs, `ports[${i}].port`, port.port);
    checkProtocol(errs, `ports[${i}].protocol`, port.protocol);
  });
}
