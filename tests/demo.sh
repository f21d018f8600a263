#!/usr/bin/env bash
# make demo: the main job on the embedded default topology — build the lab,
# show it, and prove the Kubernetes model's rules with real packets.
set -euo pipefail
cd "$(dirname "$0")/.."
PODPATH=./podpath
LAB=${LAB:-podpath}
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

if $PODPATH --lab "$LAB" status >/dev/null 2>&1; then
	say "lab \"$LAB\" exists: rebuilding it"
fi
$PODPATH --lab "$LAB" teardown >/dev/null
say "podpath setup (embedded default topology)"
$PODPATH --lab "$LAB" setup
say "podpath status"
$PODPATH --lab "$LAB" status
web2=$($PODPATH --lab "$LAB" -j status | jq -r '.pods[] | select(.name == "web-2") | .ip')
say "pod to pod across nodes: default/client (node-1) -> default/web-2 (node-2) $web2:8080"
echo "\$ podpath exec default/client -- curl -s http://$web2:8080/"
$PODPATH --lab "$LAB" exec default/client -- curl -s -m 3 "http://$web2:8080/"
say "node to pod: node/node-1 -> default/web-2"
$PODPATH --lab "$LAB" exec node/node-1 -- curl -s -m 3 "http://$web2:8080/"
say "containers of one pod share localhost: web-1's sidecar -> web on 127.0.0.1:8080"
$PODPATH --lab "$LAB" exec default/web-1 -c sidecar -- curl -s -m 3 http://127.0.0.1:8080/
say "podpath trace default/client default/web-2 (a real TCP handshake, every hop observed)"
$PODPATH --lab "$LAB" trace default/client default/web-2
say "pod to Service by name: cluster DNS (dnsmasq behind kube-dns), then kube-proxy's DNAT"
echo "\$ podpath exec default/client -- getent hosts web"
$PODPATH --lab "$LAB" exec default/client -- getent hosts web
echo "\$ podpath exec default/client -- curl -s http://web/"
$PODPATH --lab "$LAB" exec default/client -- curl -s -m 3 http://web/
say "podpath trace default/client http://web/ (the DNS query's path, then the Service's)"
$PODPATH --lab "$LAB" trace default/client http://web/
say "pod to internet: SNAT on the node (ip-masq-agent), then at the cloud gateway (1:1 NAT)"
echo "\$ podpath exec default/client -- curl -s http://example.com/"
$PODPATH --lab "$LAB" exec default/client -- curl -s -m 3 http://example.com/
say "internet to the ingress: DNS, the cloud load balancer, nginx with TLS (the lab CA), the Service"
echo "\$ podpath exec internet/laptop -- curl -s --cacert /run/podpath/$LAB/ca.pem https://web.example.test/"
$PODPATH --lab "$LAB" exec internet/laptop -- curl -s -m 3 --cacert "/run/podpath/$LAB/ca.pem" \
	https://web.example.test/
say "podpath trace internet/laptop https://web.example.test/ (DNS, the load balancer, nginx, then nginx's own connection)"
$PODPATH --lab "$LAB" trace internet/laptop https://web.example.test/
say "kube-proxy's Service chain on node-1 (nft list chain ip kube-proxy ...)"
ip netns exec "${LAB}_node_node-1" nft list chain ip kube-proxy service-SUSTUHLJ-default/web/tcp/http
say "routes on node-1 (ip -n ${LAB}_node_node-1 route)"
ip -n "${LAB}_node_node-1" route
say "podpath explain pod-to-service (the layer, taught against this lab)"
$PODPATH --lab "$LAB" explain pod-to-service
cat <<MSG

The lab stays up. Explore it:
  podpath exec default/client -- ip addr
  podpath trace default/client http://$web2:8080/ --pcap /tmp/trace.pcapng
  podpath trace default/client svc/kube-system/kube-dns:dns
  podpath trace default/client internet/example.com -p http
  podpath exec internet/laptop -- curl -s -v --cacert /run/podpath/$LAB/ca.pem https://web.example.test/
  ip netns exec ${LAB}_gateway nft list ruleset
  ip netns exec ${LAB}_node_node-1 nft list table ip kube-proxy
  ip netns list
  podpath status --dot | dot -Tsvg > lab.svg
  podpath explain --list; podpath explain egress --live; podpath explain --tui
Remove it with: ./podpath --lab $LAB teardown
MSG
