# One image for every container of the DaemonSet: the four controllers, `kr`, and the
# Debian-packaged sidecars (nats-server, gobgpd) and dataplane tools.
FROM node:24-bookworm-slim AS build
RUN npm install -g pnpm@10
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm -s build && pnpm deploy --filter=@kr/cni --prod /out/cni \
 && pnpm deploy --filter=@kr/router --prod /out/router && pnpm deploy --filter=@kr/proxy --prod /out/proxy \
 && pnpm deploy --filter=@kr/firewall --prod /out/firewall && pnpm deploy --filter=@kr/ctl --prod /out/ctl

FROM node:24-bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nats-server gobgpd iproute2 iptables ipset nftables conntrack containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /opt/kube-router-ts
RUN for b in cni router proxy firewall; do ln -s /opt/kube-router-ts/$b/bin/kr-$b.js /usr/local/bin/kr-$b; done \
 && ln -s /opt/kube-router-ts/ctl/bin/kr.js /usr/local/bin/kr
