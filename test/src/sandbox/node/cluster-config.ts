// The contract between the kr-sandbox CLI and the node agents: `.sandbox/cluster.json`.
// The CLI writes it once at `up` (and may rewrite `pids`); every node agent reads it at
// start. Both sides import these types, so a field changes in one place only.

/** The cluster's IP stack; `dual-v6` is dual-stack with IPv6 as the primary family. */
export type SandboxStack = 'ipv4' | 'ipv6' | 'dual' | 'dual-v6';

export type SandboxFamily = 'ipv4' | 'ipv6';

/** The kube-router-ts controllers; nats and gobgp always run and are not listed. */
export type SandboxController = 'cni' | 'router' | 'proxy' | 'firewall';

/** Containers of the DaemonSet (deploy/kube-router-ts.yaml) the node agent may run. */
export type SandboxContainer = 'nats' | 'gobgp' | SandboxController;

/** Addresses of a host on the fabric, without prefix length, e.g. `198.18.0.11`, `fd42:198:18:0::11`. */
export interface SandboxAddresses {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** One L2 segment of the fabric; the fabric router owns `.1` / `::1` on it. */
export interface SandboxSubnet {
  /** 0-based subnet number, as in `SandboxHost.subnet`. */
  readonly index: number;
  /** e.g. `198.18.0.0/24`; present when the stack has IPv4. */
  readonly ipv4?: string;
  /** e.g. `fd42:198:18:0::/64`; present when the stack has IPv6. */
  readonly ipv6?: string;
}

/** A node or an external host: a network namespace on one fabric subnet. */
export interface SandboxHost {
  /** `node<i>` or `ext<j>`; for nodes, also the Kubernetes Node name. */
  readonly name: string;
  /** Its network namespace: `krsbx-node<i>` / `krsbx-ext<j>`. */
  readonly netns: string;
  /** Index into `SandboxClusterConfig.subnets`. */
  readonly subnet: number;
  /**
   * One address per family of the stack. For nodes these are the InternalIPs: the node
   * agent registers its Node object with them (in family order) as a kubelet does, and
   * only adds missing addresses when the CLI created the Node first.
   */
  readonly addresses: SandboxAddresses;
}

export interface SandboxApi {
  /** The simulator in the root namespace, e.g. `http://127.0.0.1:39123` (kubectl, the CLI). */
  readonly url: string;
  /** Absolute path of the simulator's unix socket (`.sandbox/apiserver.sock`); node agents relay 127.0.0.1:6443 to it. */
  readonly socket: string;
  /** Absolute path of a kubeconfig for `url`. */
  readonly kubeconfig?: string;
}

export interface SandboxPids {
  readonly apiserver?: number;
  /** Node agent process ids by node name. */
  readonly agents?: Readonly<Record<string, number>>;
}

/**
 * `.sandbox/cluster.json`. All paths are absolute. Family-ordered lists (`families`,
 * `clusterCidrs`, `serviceCidrs`) are in the cluster's family order: ipv4 → [v4],
 * ipv6 → [v6], dual → [v4, v6], dual-v6 → [v6, v4]; the kubelet writes pod IPs in
 * that order.
 */
export interface SandboxClusterConfig {
  /** Format version of this file; bump on an incompatible change. */
  readonly version: 1;
  /** The repository root (holds deploy/, services/, test/dist/). */
  readonly repoRoot: string;
  /** The state directory, normally `<repoRoot>/.sandbox`; per-node files live in `nodes/<node>/` below it. */
  readonly stateDir: string;
  readonly stack: SandboxStack;
  /** The cluster's families in order; derived from `stack`, written out so nobody derives it twice. */
  readonly families: readonly SandboxFamily[];
  /** Pod CIDRs (the controller manager's --cluster-cidr), family order. */
  readonly clusterCidrs: readonly string[];
  /** Service CIDRs (kube-apiserver's --service-cluster-ip-range), family order. */
  readonly serviceCidrs: readonly string[];
  readonly nodeCidrMaskSizeIPv4: number;
  readonly nodeCidrMaskSizeIPv6: number;
  readonly subnets: readonly SandboxSubnet[];
  readonly nodes: readonly SandboxHost[];
  readonly externals: readonly SandboxHost[];
  /** Controllers each node runs, besides nats and gobgp which always run. */
  readonly controllers: readonly SandboxController[];
  /**
   * The user's `--flags 'CONTROLLER:--flag=value'`, grouped by container, in the order
   * given; appended after the sandbox's own flags, so they win where a flag repeats.
   */
  readonly extraFlags: Readonly<Partial<Record<SandboxContainer, readonly string[]>>>;
  readonly api: SandboxApi;
  readonly pids?: SandboxPids;
  /**
   * The DaemonSet manifest to take container commands from; default
   * `<repoRoot>/deploy/kube-router-ts.yaml`. Tests point it at a small manifest of their own.
   */
  readonly manifest?: string;
  /**
   * Prefix of the pod namespaces the kubelets create; default `krsbx-p-`. Tests set
   * another one, so that a `kr-sandbox down` running at the same time (it removes every
   * krsbx-* namespace) leaves theirs alone.
   */
  readonly podNetnsPrefix?: string;
}

/** Family order per stack (what `SandboxClusterConfig.families` must hold). */
export const STACK_FAMILIES: Readonly<Record<SandboxStack, readonly SandboxFamily[]>> = {
  ipv4: ['ipv4'],
  ipv6: ['ipv6'],
  dual: ['ipv4', 'ipv6'],
  'dual-v6': ['ipv6', 'ipv4'],
};

/** One container as the node agent last saw it. */
export interface SandboxContainerStatus {
  readonly running: boolean;
  /** Set while it runs. */
  readonly pid?: number;
  /** Restarts so far (the kubelet's restartCount). */
  readonly restarts: number;
}

/**
 * `nodes/<node>/agent.json`, written atomically (rename). `ready: true` once the API
 * relay listens, every container has started and the kubelet has registered the Node
 * and listed its pods; rewritten when a container starts or exits; `ready: false` after
 * SIGTERM, once everything has stopped.
 */
export interface SandboxAgentStatus {
  readonly pid: number;
  readonly ready: boolean;
  readonly containers?: Readonly<Partial<Record<SandboxContainer, SandboxContainerStatus>>>;
}

/** The pod annotation that names the pod's network namespace (the CLI's probe uses it). */
export const POD_NETNS_ANNOTATION = 'sandbox.kube-router.io/netns';

/** The port a node agent relays to the API simulator's unix socket, inside its node namespace. */
export const NODE_API_PORT = 6443;
