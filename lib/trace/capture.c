/* capture — libpcap handles inside namespaces, decoded; see capture.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/filter.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "netns/netns.h"
#include "trace/capture.h"

#define VXLAN_PORT_FLANNEL 8472
#define VXLAN_PORT_IANA 4789

/* What the raw socket keeps of a frame: the Ethernet header and enough of
 * the packet after it to know it again among the cooked ones. */
#define RAW_SNAPLEN 128
#define RAW_MATCH 64	/* bytes of the network header compared */
/* How far apart the raw frame's timestamp (the kernel's stamp of the skb)
 * and the cooked copy's (libpcap's ring: when the tap ran) may be. Both
 * copies are queued by the same tap loop, microseconds apart; a repeat of
 * the same bytes (a retried ARP request, 1 s apart) is far outside it. */
#define RAW_TS_SLACK_NS 2000000ull
#define RAW_RCVBUF (1 << 20)

struct if_entry {
	int index;
	char name[IF_NAMESIZE];
};

struct raw_frame {
	int ifindex;
	bool outgoing, used;
	uint16_t len;
	uint64_t ts_ns;		/* CLOCK_REALTIME, SO_TIMESTAMPNS; 0: none, never matched */
	uint8_t data[RAW_SNAPLEN];
};

/* ifs: every interface of the namespace, however many (a node has one
 * per pod): a hop's reasoning goes by its interface's name. */
struct handle {
	pcap_t *p;
	struct if_entry *ifs;
	size_t nifs;
	unsigned long dropped;	/* pcap_stats: ps_drop + ps_ifdrop */
	int raw;		/* the Ethernet-header socket, -1 if none */
	struct raw_frame *frames;
	size_t nframes, fcap;
	unsigned long raw_lost;	/* frames its socket dropped, or we could not hold */
	size_t matched;		/* c->pkts before it: all with their frames, or not to match */
};

struct capture {
	struct handle *h;
	size_t n;
	struct capture_pkt *pkts;
	size_t npkts, cap;
	size_t cur;		/* handle being drained (for the callback) */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ports (or echo id) of a transport header of proto at l4 (len bytes). */
static void l4_ports(uint8_t proto, const uint8_t *l4, size_t len, uint16_t *sport, uint16_t *dport)
{
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= 4) {
		*sport = be16(l4);
		*dport = be16(l4 + 2);
	} else if (proto == IPPROTO_ICMP && len >= 6) {
		*sport = be16(l4 + 4);	/* echo identifier */
		*dport = 0;
	}
}

static bool decode_ip(struct capture_pkt *k, const uint8_t *ip, size_t len, bool inner);

/* VXLAN: 8-byte header, then an Ethernet frame carrying the inner packet. */
static bool decode_vxlan(struct capture_pkt *k, const uint8_t *v, size_t len)
{
	if (len < 8 + 14 || !(v[0] & 0x08) || be16(v + 8 + 12) != ETH_P_IP)
		return false;
	k->outer_saddr = k->saddr;
	k->outer_daddr = k->daddr;
	k->outer_sport = k->sport;
	k->outer_ttl = k->ttl;
	k->vni = be32(v + 4) >> 8;
	k->vxlan = true;
	return decode_ip(k, v + 8 + 14, len - 8 - 14, true);
}

static bool decode_ip(struct capture_pkt *k, const uint8_t *ip, size_t len, bool inner)
{
	size_t ihl;
	const uint8_t *l4;
	size_t l4len;

	if (len < 20 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || len < ihl)
		return false;
	k->ttl = ip[8];
	k->proto = ip[9];
	k->ip_id = be16(ip + 4);
	k->ip_len = be16(ip + 2);
	k->saddr = be32(ip + 12);
	k->daddr = be32(ip + 16);
	k->sport = k->dport = 0;
	l4 = ip + ihl;
	l4len = len - ihl;
	l4_ports(k->proto, l4, l4len, &k->sport, &k->dport);
	if (k->proto == IPPROTO_TCP && l4len >= 14) {
		k->tcp_seq = be32(l4 + 4);
		k->tcp_flags = l4[13];
	}
	if (k->proto == IPPROTO_ICMP && l4len >= 2) {
		k->icmp_type = l4[0];
		k->icmp_code = l4[1];
		if (l4[0] == 3 && l4[1] == 4 && l4len >= 8)
			k->icmp_mtu = (uint16_t)(l4[6] << 8 | l4[7]);
		/* Errors quote the header of the packet they answer. */
		if ((l4[0] == 3 || l4[0] == 11 || l4[0] == 5) && l4len >= 8 + 20) {
			const uint8_t *q = l4 + 8;
			size_t qihl = (size_t)(q[0] & 15) * 4;

			k->has_inner_err = true;
			k->err_proto = q[9];
			k->err_saddr = be32(q + 12);
			k->err_daddr = be32(q + 16);
			if (l4len >= 8 + qihl + 4)
				l4_ports(q[9], q + qihl, l4len - 8 - qihl, &k->err_sport, &k->err_dport);
		}
	}
	/* VXLAN whose payload is not IPv4 is nobody's probe: drop it rather
	 * than let its outer ports pass for the probe's. */
	if (!inner && k->proto == IPPROTO_UDP &&
	    (k->dport == VXLAN_PORT_FLANNEL || k->dport == VXLAN_PORT_IANA))
		return l4len >= 8 && decode_vxlan(k, l4 + 8, l4len - 8);
	return true;
}

static const char *ifmap_name(const struct handle *h, int index)
{
	for (size_t i = 0; i < h->nifs; i++)
		if (h->ifs[i].index == index)
			return h->ifs[i].name;
	return "?";
}

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	const struct handle *h = &c->h[c->cur];
	const struct sll2_header *sll = (const struct sll2_header *)bytes;
	struct capture_pkt *k;

	if (hdr->caplen < sizeof(*sll))
		return;
	if (c->npkts == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		void *np = realloc(c->pkts, ncap * sizeof(*c->pkts));

		if (!np)
			return;
		c->pkts = np;
		c->cap = ncap;
	}
	k = &c->pkts[c->npkts];
	memset(k, 0, sizeof(*k));
	/* PCAP_TSTAMP_PRECISION_NANO: tv_usec holds nanoseconds. */
	k->ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;
	k->ns = c->cur;
	k->ifindex = (int)ntohl(sll->sll2_if_index);
	snprintf(k->ifname, sizeof(k->ifname), "%s", ifmap_name(h, k->ifindex));
	k->outgoing = sll->sll2_pkttype == PACKET_OUTGOING;
	k->otherhost = sll->sll2_pkttype == PACKET_OTHERHOST;
	k->ethertype = ntohs(sll->sll2_protocol);
	k->hatype = ntohs(sll->sll2_hatype);
	if (k->hatype == ARPHRD_ETHER && sll->sll2_halen == 6) {
		k->has_src_mac = true;
		memcpy(k->src_mac, sll->sll2_addr, 6);
	}
	k->caplen = hdr->caplen < CAPTURE_SNAPLEN ? hdr->caplen : CAPTURE_SNAPLEN;
	k->wirelen = hdr->len;
	memcpy(k->data, bytes, k->caplen);
	if (k->ethertype == ETH_P_IP) {
		if (!decode_ip(k, bytes + sizeof(*sll), hdr->caplen - sizeof(*sll), false))
			return;
	} else if (k->ethertype == ETH_P_ARP && hdr->caplen >= sizeof(*sll) + 28) {
		const uint8_t *a = bytes + sizeof(*sll);

		k->arp_op = be16(a + 6);
		memcpy(k->arp_sha, a + 8, 6);
		k->arp_spa = be32(a + 14);
		memcpy(k->arp_tha, a + 18, 6);
		k->arp_tpa = be32(a + 24);
	} else {
		return;
	}
	c->npkts++;
}

/* Inside the namespace: the handle and the interface names it will see. */
static int handle_open(struct handle *h, const char *filter, char *errbuf, const char **why)
{
	struct if_nameindex *ifs, *i;
	struct bpf_program prog;
	size_t n = 0;
	int ret = -EIO;

	ifs = if_nameindex();
	if (!ifs) {
		*why = "cannot list the interfaces";
		return errno ? -errno : -EIO;
	}
	for (i = ifs; i->if_index; i++)
		n++;
	h->ifs = calloc(n ? n : 1, sizeof(*h->ifs));
	for (i = ifs; h->ifs && i->if_index; i++) {
		h->ifs[h->nifs].index = (int)i->if_index;
		snprintf(h->ifs[h->nifs].name, IF_NAMESIZE, "%s", i->if_name);
		h->nifs++;
	}
	if_freenameindex(ifs);
	if (!h->ifs) {
		*why = "cannot hold the interface table";
		return -ENOMEM;
	}
	h->p = pcap_create("any", errbuf);
	if (!h->p) {
		*why = errbuf;
		return ret;
	}
	pcap_set_snaplen(h->p, CAPTURE_SNAPLEN);
	/* Immediate: no batching delay; a small buffer: the probe is a few
	 * packets and a big ring costs time to map. */
	pcap_set_immediate_mode(h->p, 1);
	pcap_set_buffer_size(h->p, 256 * 1024);
	pcap_set_tstamp_precision(h->p, PCAP_TSTAMP_PRECISION_NANO);
	if (pcap_activate(h->p) < 0 || pcap_set_datalink(h->p, DLT_LINUX_SLL2) < 0 ||
	    pcap_setnonblock(h->p, 1, errbuf) < 0) {
		*why = pcap_geterr(h->p);
		return ret;
	}
	if (pcap_compile(h->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		*why = pcap_geterr(h->p);
		return -EINVAL;
	}
	ret = pcap_setfilter(h->p, &prog) < 0 ? -EIO : 0;
	if (ret)
		*why = pcap_geterr(h->p);
	pcap_freecode(&prog);
	return ret;
}

/* The filter for the raw sockets: libpcap's program for DLT_EN10MB (the
 * same for every namespace: compiled once) behind a test of the device
 * type, another link type's bytes would be misread. 0 or -errno. */
static int raw_prog_make(const char *filter, struct sock_fprog *fp)
{
	struct bpf_program prog = { 0 };
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, RAW_SNAPLEN);
	struct sock_filter *ins = NULL;
	int ret = -ENOMEM;

	if (!dead)
		return -ENOMEM;
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		ret = -EINVAL;
		goto out;
	}
	ins = calloc(prog.bf_len + 3, sizeof(*ins));
	if (!ins)
		goto out;
	ins[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_HATYPE);
	ins[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARPHRD_ETHER, 1, 0);
	ins[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	/* libpcap's instructions are the kernel's, one for one. */
	memcpy(ins + 3, prog.bf_insns, prog.bf_len * sizeof(*ins));
	*fp = (struct sock_fprog){ .len = (unsigned short)(prog.bf_len + 3), .filter = ins };
	ret = 0;
out:
	pcap_freecode(&prog);
	pcap_close(dead);
	return ret;
}

/* Inside the namespace: a raw packet socket on every interface that takes
 * the frames of Ethernet devices program fp takes, header and all; the
 * filter is attached before the socket is bound, so nothing else is ever
 * queued. -errno. */
static int raw_open(struct handle *h, const struct sock_fprog *fp)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int buf = RAW_RCVBUF, fd, ret;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Timestamps: a frame is taken only for the packet queued with it,
	 * never for a later one with the same bytes (a retry). */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fp, sizeof(*fp)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	h->raw = fd;
	return 0;
}

/*
 * Opening and closing a packet socket with a ring each wait for an RCU grace
 * period in the kernel (synchronize_net() in packet_set_ring() and
 * packet_release()), 15-30 ms here. Done one namespace after another that
 * is most of a trace's time; done from one thread per namespace the grace
 * periods overlap and the whole set costs about one.
 */
struct open_job {
	struct handle *h;
	const char *netns, *filter;
	const struct sock_fprog *raw;	/* NULL: no raw socket */
	int ret;
	char why[PCAP_ERRBUF_SIZE + 64];
};

static void *open_job_run(void *arg)
{
	struct open_job *j = arg;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *why = "";
	int fd = netns_open(j->netns);

	/* A fresh thread; it ends here, so it need not find its way back. */
	if (fd < 0 || netns_enter(fd) < 0) {
		j->ret = fd < 0 ? fd : -errno;
		snprintf(j->why, sizeof(j->why), "cannot enter the namespace: %s", strerror(-j->ret));
	} else {
		j->ret = handle_open(j->h, j->filter, errbuf, &why);
		/* Without it the hops only lack their destination MACs: said
		 * per packet (capture_l2_lost), never fatal. */
		if (j->ret == 0 && j->raw)
			raw_open(j->h, j->raw);
		/* libpcap's own words say why; the rest is an errno. */
		if (j->ret == -EIO || j->ret == -EINVAL)
			snprintf(j->why, sizeof(j->why), "%s", why);
		else if (j->ret < 0)
			snprintf(j->why, sizeof(j->why), "%s: %s", why, strerror(-j->ret));
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *close_job_run(void *arg)
{
	pcap_close(arg);
	return NULL;
}

static void *raw_close_run(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

int capture_open(struct capture **out, const char *const *netns, size_t n, const char *filter,
		 struct pp_err *e)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sock_fprog raw = { 0 };
	bool has_raw = raw_prog_make(filter, &raw) == 0;
	struct open_job *jobs = NULL;
	pthread_t *th = NULL;
	bool *started = NULL;
	int ret = 0;

	*out = NULL;
	if (!c || !(c->h = calloc(n ? n : 1, sizeof(*c->h))) ||
	    !(jobs = calloc(n ? n : 1, sizeof(*jobs))) || !(th = calloc(n ? n : 1, sizeof(*th))) ||
	    !(started = calloc(n ? n : 1, sizeof(*started)))) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	c->n = n;
	for (size_t i = 0; i < n; i++)
		c->h[i].raw = -1;
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct open_job){ .h = &c->h[i], .netns = netns[i], .filter = filter,
					     .raw = has_raw ? &raw : NULL };
		/* Never run a job on this thread: it would stay in the namespace. */
		if (pthread_create(&th[i], NULL, open_job_run, &jobs[i]) != 0) {
			jobs[i].ret = -EAGAIN;
			snprintf(jobs[i].why, sizeof(jobs[i].why), "cannot start a thread");
		} else {
			started[i] = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	for (size_t i = 0; i < n && ret == 0; i++)
		if (jobs[i].ret < 0)
			ret = pp_err_set(e, jobs[i].ret == -EINVAL ? PP_EXIT_FAIL : PP_EXIT_ENV, jobs[i].ret,
					 "capture in %s: %s (filter: %s)", netns[i], jobs[i].why, filter);
out:
	free(raw.filter);
	free(jobs);
	free(th);
	free(started);
	if (ret < 0)
		capture_close(c);
	else
		*out = c;
	return ret;
}

/* A new frame slot of h, zeroed; NULL without memory. */
static struct raw_frame *frame_add(struct handle *h)
{
	struct raw_frame *r;

	if (h->nframes == h->fcap) {
		size_t ncap = h->fcap ? h->fcap * 2 : 64;
		void *nf = realloc(h->frames, ncap * sizeof(*h->frames));

		if (!nf)
			return NULL;
		h->frames = nf;
		h->fcap = ncap;
	}
	r = &h->frames[h->nframes++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Every frame waiting on handle h's raw socket. */
static void raw_drain(struct handle *h)
{
	for (;;) {
		uint8_t data[RAW_SNAPLEN];
		struct sockaddr_ll from;
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				      .msg_iovlen = 1, .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		struct raw_frame *r;
		struct cmsghdr *cm;
		ssize_t len = recvmsg(h->raw, &msg, 0);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < ETH_HLEN)
			break;
		r = frame_add(h);
		if (!r) {
			h->raw_lost++;
			continue;
		}
		r->ifindex = from.sll_ifindex;
		r->outgoing = from.sll_pkttype == PACKET_OUTGOING;
		r->len = (uint16_t)((size_t)len < sizeof(data) ? (size_t)len : sizeof(data));
		memcpy(r->data, data, r->len);
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				r->ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			}
	}
}

static uint64_t ts_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Give each packet handle ns read on an Ethernet device the MACs of its
 * frame: the raw frame on the same interface, same direction, same
 * ethertype, the same first bytes from the network header on, stamped
 * within RAW_TS_SLACK_NS of it; the first such in arrival order. Both
 * sockets queue a place's frames in the same order, so the frames of that
 * place before the one taken belong to packets already read: dropped
 * then, as every frame taken, so that a later packet with the same bytes
 * (a retry) can never take a frame that was not its own. A wrong MAC is
 * worse than none: none is an observer loss, counted. A packet without
 * a frame yet may get it at the next drain (its frame came after this
 * one read the raw socket); until then it counts as lost. */
static void l2_match(struct capture *c, size_t ns)
{
	struct handle *h = &c->h[ns];
	const size_t sll = sizeof(struct sll2_header);
	size_t keep = 0, first = c->npkts;

	for (size_t i = h->matched; i < c->npkts; i++) {
		struct capture_pkt *k = &c->pkts[i];
		struct raw_frame *best = NULL;

		if (k->ns != ns || k->hatype != ARPHRD_ETHER || k->has_dst_mac)
			continue;
		for (size_t f = 0; f < h->nframes && !best; f++) {
			struct raw_frame *r = &h->frames[f];
			size_t m = RAW_MATCH;

			if (r->used || !r->ts_ns || r->ifindex != k->ifindex ||
			    r->outgoing != k->outgoing || be16(r->data + 12) != k->ethertype ||
			    ts_diff(r->ts_ns, k->ts_ns) > RAW_TS_SLACK_NS)
				continue;
			if (m > (size_t)r->len - ETH_HLEN)
				m = (size_t)r->len - ETH_HLEN;
			if (m > (size_t)k->caplen - sll)
				m = (size_t)k->caplen - sll;
			if (!memcmp(r->data + ETH_HLEN, k->data + sll, m))
				best = r;
		}
		if (!best) {
			if (first == c->npkts)
				first = i;
			continue;
		}
		for (struct raw_frame *r = h->frames; r < best; r++)
			if (r->ifindex == best->ifindex && r->outgoing == best->outgoing)
				r->used = true;
		best->used = true;
		k->has_dst_mac = true;
		memcpy(k->dst_mac, best->data, 6);
		/* The frame's own source MAC, as the cooked header's. */
		k->has_src_mac = true;
		memcpy(k->src_mac, best->data + 6, 6);
	}
	for (size_t f = 0; f < h->nframes; f++)
		if (!h->frames[f].used)
			h->frames[keep++] = h->frames[f];
	h->nframes = keep;
	h->matched = first;
}

int capture_drain(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct pcap_stat st;
		struct tpacket_stats ts;
		socklen_t tl = sizeof(ts);

		if (!c->h[i].p)
			continue;
		c->cur = i;
		/* Packets first: the raw socket's copy of a packet is queued
		 * by the same tap loop as the cooked one, so every packet read
		 * has its frame waiting when the raw socket is read next. (The
		 * other way round, a packet that came in between would be read
		 * without its frame.) */
		while (pcap_dispatch(c->h[i].p, -1, on_packet, (u_char *)c) > 0)
			;
		if (c->h[i].raw >= 0)
			raw_drain(&c->h[i]);
		if (c->h[i].raw >= 0 &&
		    getsockopt(c->h[i].raw, SOL_PACKET, PACKET_STATISTICS, &ts, &tl) == 0)
			c->h[i].raw_lost += ts.tp_drops;
		l2_match(c, i);
		/* Counted since the handle was activated: what the ring could
		 * not hold while nobody read it is gone, and the trace says so. */
		if (pcap_stats(c->h[i].p, &st) == 0)
			c->h[i].dropped = (unsigned long)st.ps_drop + st.ps_ifdrop;
	}
	return 0;
}

unsigned long capture_dropped(const struct capture *c, size_t ns)
{
	return c && ns < c->n ? c->h[ns].dropped : 0;
}

unsigned long capture_l2_lost(const struct capture *c, size_t ns)
{
	unsigned long n = 0;

	if (!c || ns >= c->n)
		return 0;
	/* Without the raw socket every Ethernet packet lacks its MACs:
	 * counted, as any frame it missed. */
	for (size_t i = c->h[ns].matched; i < c->npkts; i++)
		n += c->pkts[i].ns == ns && c->pkts[i].hatype == ARPHRD_ETHER &&
		     !c->pkts[i].has_dst_mac;
	return c->h[ns].raw_lost + n;
}

const struct capture_pkt *capture_packets(const struct capture *c, size_t *n)
{
	*n = c->npkts;
	return c->pkts;
}

const char *capture_ifname(const struct capture *c, size_t ns, int ifindex)
{
	return ns < c->n ? ifmap_name(&c->h[ns], ifindex) : "?";
}

void capture_stop(struct capture *c)
{
	pthread_t th[128];
	size_t nth = 0;

	if (!c)
		return;
	/* In parallel, for the same reason as opening: closing a raw packet
	 * socket waits for a grace period too. */
	for (size_t i = 0; c->h && i < c->n; i++) {
		if (c->h[i].p && !(nth < 128 && pthread_create(&th[nth], NULL, close_job_run,
							       c->h[i].p) == 0 && ++nth))
			pcap_close(c->h[i].p);
		if (c->h[i].raw >= 0 &&
		    !(nth < 128 && pthread_create(&th[nth], NULL, raw_close_run,
						  (void *)(intptr_t)c->h[i].raw) == 0 && ++nth))
			close(c->h[i].raw);
	}
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; c->h && i < c->n; i++) {
		c->h[i].p = NULL;
		c->h[i].raw = -1;
	}
}

struct capture *capture_from_packets(const struct capture_pkt *pkts, size_t n)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (c && n && !(c->pkts = malloc(n * sizeof(*pkts)))) {
		free(c);
		return NULL;
	}
	if (c && n) {
		memcpy(c->pkts, pkts, n * sizeof(*pkts));
		c->npkts = c->cap = n;
	}
	return c;
}

int capture_feed_packet(struct capture *c, const struct capture_pkt *k)
{
	if (c->npkts == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		void *np = realloc(c->pkts, ncap * sizeof(*c->pkts));

		if (!np)
			return -ENOMEM;
		c->pkts = np;
		c->cap = ncap;
	}
	c->pkts[c->npkts++] = *k;
	return 0;
}

int capture_feed_frame(struct capture *c, size_t ns, int ifindex, bool outgoing, uint64_t ts_ns,
		       const uint8_t *frame, size_t len)
{
	struct raw_frame *r;

	if (ns >= c->n) {
		struct handle *nh = realloc(c->h, (ns + 1) * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		memset(nh + c->n, 0, (ns + 1 - c->n) * sizeof(*nh));
		for (size_t i = c->n; i <= ns; i++)
			nh[i].raw = -1;
		c->h = nh;
		c->n = ns + 1;
	}
	if (len < ETH_HLEN || !(r = frame_add(&c->h[ns])))
		return len < ETH_HLEN ? -EINVAL : -ENOMEM;
	r->ifindex = ifindex;
	r->outgoing = outgoing;
	r->ts_ns = ts_ns;
	r->len = (uint16_t)(len < RAW_SNAPLEN ? len : RAW_SNAPLEN);
	memcpy(r->data, frame, r->len);
	return 0;
}

void capture_feed_match(struct capture *c, size_t ns)
{
	if (ns < c->n)
		l2_match(c, ns);
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	capture_stop(c);
	for (size_t i = 0; c->h && i < c->n; i++) {
		free(c->h[i].ifs);
		free(c->h[i].frames);
	}
	free(c->h);
	free(c->pkts);
	free(c);
}
